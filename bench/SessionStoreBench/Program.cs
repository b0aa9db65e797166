using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.Shared;

// Session load+commit latency, as BackendApp pays it on every request: the real ASP.NET Core
// DistributedSession (LoadAsync, one change, CommitAsync) over MemoryDistributedCache (memory mode)
// and over Microsoft's RedisCache on StackExchange.Redis with BackendApp's settings (redis mode), beside
// redis-benchmark's own figures for the commands that cost on the same server. Rounds alternate between
// contenders; medians of the rounds are reported.
if (Args.Parse(args) is not { } options)
{
    return Args.ExitCode;
}

var storeOptions = StoreConfiguration.Parse(options.Redis);
// A bench wants numbers, not fail-fast 503s: generous timeouts for a busy machine.
(storeOptions.SyncTimeout, storeOptions.AsyncTimeout) = (5000, 5000);
await using var connection = await ConnectionMultiplexer.ConnectAsync(storeOptions);
var memory = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
using var redis = new RedisCache(Options.Create(new RedisCacheOptions
{
    InstanceName = "bench:",
    ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(connection),
}));
const string RedisContender = "redis (RedisCache on StackExchange.Redis): session load+commit";

// More stores measured the same way in the same rounds (`--store LABEL=HOST:PORT`): the same server with an
// append-only file, Garnet with and without one.
var others = new List<(string Name, ConnectionMultiplexer Connection, RedisCache Cache)>();
foreach (var (label, endpoint) in options.Stores)
{
    var otherOptions = StoreConfiguration.Parse(endpoint);
    (otherOptions.SyncTimeout, otherOptions.AsyncTimeout) = (5000, 5000);
    var otherConnection = await ConnectionMultiplexer.ConnectAsync(otherOptions);
    others.Add(($"{label}: session load+commit", otherConnection, new RedisCache(Options.Create(new RedisCacheOptions
    {
        InstanceName = "bench:",
        ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(otherConnection),
    }))));
}

var results = new Dictionary<string, List<(double P50, double P99)>>();
void Record(string name, (double, double) round) => (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(round);

for (var round = 1; round <= options.Rounds; round++)
{
    Record("memory: session load+commit", await MeasureSessionsAsync(memory, options.Iterations));
    Record(RedisContender, await MeasureSessionsAsync(redis, options.Iterations));
    foreach (var (name, _, cache) in others)
    {
        Record(name, await MeasureSessionsAsync(cache, options.Iterations));
    }

    foreach (var (name, p50) in RedisBenchmark(options))
    {
        Record(name, (p50, double.NaN));
    }

    Console.Error.WriteLine($"round {round}/{options.Rounds} done");
}

foreach (var (_, otherConnection, cache) in others)
{
    cache.Dispose();
    await otherConnection.DisposeAsync();
}

var report = Report(options, results);
Console.WriteLine(report);
if (options.Out is { } path)
{
    // The new report on top, every earlier one kept below it: figures of code that is gone (the own
    // RESP client's) stay readable beside today's.
    const string HistoryHeading = "## Earlier runs, newest first";
    var previous = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
    var history = previous.Replace(HistoryHeading + "\n\n", "", StringComparison.Ordinal).Trim();
    await File.WriteAllTextAsync(path, history.Length == 0 ? report : $"{report}\n{HistoryHeading}\n\n{history}\n");
}

return 0;

static async Task<(double P50, double P99)> MeasureSessionsAsync(IDistributedCache cache, int iterations)
{
    var store = new DistributedSessionStore(cache, NullLoggerFactory.Instance);
    var keys = Enumerable.Range(0, 100).Select(i => $"{Guid.NewGuid()}").ToArray();
    var payload = Encoding.UTF8.GetBytes("alice");
    // Warm-up: create the sessions, JIT, connection.
    foreach (var key in keys)
    {
        await OneRequestAsync(store, key, payload);
    }

    var samples = new double[iterations];
    for (var i = 0; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await OneRequestAsync(store, keys[i % keys.Length], payload);
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    Array.Sort(samples);
    return (samples[samples.Length / 2], samples[(int)(samples.Length * 0.99)]);
}

static async Task OneRequestAsync(DistributedSessionStore store, string key, byte[] user)
{
    var session = store.Create(key, TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(2), () => true, isNewSessionKey: false);
    await session.LoadAsync();
    session.Set("user", user);
    session.SetInt32("visits", (session.GetInt32("visits") ?? 0) + 1);
    await session.CommitAsync();
}

static IEnumerable<(string Name, double P50Micros)> RedisBenchmark(Args options)
{
    var colon = options.Redis.LastIndexOf(':');
    var (host, port) = (options.Redis[..colon], options.Redis[(colon + 1)..]);
    // The commands one session load+commit sends: HMGET and EXPIRE to load and slide, HSET and
    // EXPIRE (pipelined) to commit. One client, like one request at a time above.
    string[][] commands =
    [
        ["HSET", "bench:rb", "absexp", "-1", "sldexp", "12000000000", "data", "0123456789abcdef0123456789abcdef"],
        ["HMGET", "bench:rb", "absexp", "sldexp", "data"],
        ["EXPIRE", "bench:rb", "1200"],
    ];
    foreach (var command in commands)
    {
        var startInfo = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", host, "-p", port, "-c", "1", "-n", options.Iterations.ToString(CultureInfo.InvariantCulture), "--csv" }.Concat(command))
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var csv = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
        var row = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split(',').Select(f => f.Trim('"')).ToArray();
        yield return ($"redis-benchmark: {command[0]}", double.Parse(row[4], CultureInfo.InvariantCulture) * 1000);
    }
}

static string Report(Args options, Dictionary<string, List<(double P50, double P99)>> results)
{
    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"### {DateTime.UtcNow:yyyy-MM-dd}: session load+commit latency, one request at a time, {options.Iterations} per round, medians of {options.Rounds} alternating rounds.");
    text.AppendLine(CultureInfo.InvariantCulture, $"Store: {options.ServerVersion} on {options.Redis}. Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}.");
    text.AppendLine();
    text.AppendLine("| what | p50 (µs) | p99 (µs) |");
    text.AppendLine("|---|---:|---:|");
    foreach (var (name, rounds) in results)
    {
        var p99 = rounds.All(r => double.IsNaN(r.P99)) ? "" : Median(rounds.Select(r => r.P99)).ToString("0", CultureInfo.InvariantCulture);
        text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Median(rounds.Select(r => r.P50)):0} | {p99} |");
    }

    var ours = Median(results[RedisContender].Select(r => r.P50));
    var floor = results.Where(r => r.Key.StartsWith("redis-benchmark", StringComparison.Ordinal)).Sum(r => Median(r.Value.Select(v => v.P50)));
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"A redis-mode load+commit makes three round trips (HMGET, EXPIRE, then HSET and EXPIRE pipelined). redis-benchmark's HMGET+EXPIRE+HSET p50s add up to {floor:0} µs for three round trips: StickyLb's load+commit costs {ours / floor:0.00}x that.");
    text.AppendLine(CultureInfo.InvariantCulture, $"Redis mode costs {ours / Median(results["memory: session load+commit"].Select(r => r.P50)):0}x memory mode per request, in absolute terms {ours:0} µs.");
    foreach (var (label, _) in options.Stores)
    {
        var other = Median(results[$"{label}: session load+commit"].Select(r => r.P50));
        text.AppendLine(CultureInfo.InvariantCulture, $"{label}: {other:0} µs, {other / ours:0.00}x the first store's p50.");
    }
    return text.ToString();
}

internal sealed record Args(string Redis, int Iterations, int Rounds, string? Out, string ServerVersion, IReadOnlyList<(string Label, string Endpoint)> Stores)
{
    /// <summary>What the process returns when it only printed help (0) or refused its command line (2).</summary>
    public static int ExitCode { get; private set; }

    /// <summary>The options, or null after printing help or a clear error about an unknown option or a bad value.</summary>
    public static Args? Parse(string[] args)
    {
        var redis = new Option<string>("--redis") { Description = "the redis-server to measure against", DefaultValueFactory = _ => "127.0.0.1:6379" };
        var iterations = new Option<int>("--iterations") { Description = "session load+commits per round and contender", DefaultValueFactory = _ => 5000 };
        var rounds = new Option<int>("--rounds") { Description = "rounds, alternating between contenders; medians are reported", DefaultValueFactory = _ => 3 };
        var output = new Option<string?>("--out") { Description = "the results file to update (default: print only)" };
        var serverVersion = new Option<string>("--server-version") { Description = "the server's name and version, for the report", DefaultValueFactory = _ => "redis-server" };
        var stores = new Option<string[]>("--store") { Description = "another store to measure the same way, LABEL=HOST:PORT, repeatable (e.g. the same server with an append-only file)", AllowMultipleArgumentsPerToken = false };
        var command = new RootCommand("Session load+commit latency: memory mode, RedisCache on StackExchange.Redis, and redis-benchmark's floor.")
        {
            redis, iterations, rounds, output, serverVersion, stores,
        };
        Args? parsed = null;
        command.SetAction(result => parsed = new Args(
            result.GetValue(redis)!, result.GetValue(iterations), result.GetValue(rounds), result.GetValue(output) is { Length: > 0 } path ? path : null, result.GetValue(serverVersion)!,
            [.. (result.GetValue(stores) ?? []).Select(s => s.Split('=', 2)).Select(p => (p[0], p[1]))]));
        var result = command.Parse(args);
        var code = result.Invoke();
        // An unknown option or a bad value is a usage error, as for the gateway and compare.
        ExitCode = result.Errors.Count > 0 ? 2 : code;
        return parsed;
    }
}
