using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Store;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A store that survives losing a node: a redis-server primary, one replica and three redis-sentinels
/// (quorum 2), all on free loopback ports, each in its own folder. Sentinel marks a primary down after
/// a second without an answer and promotes the replica; clients find the current primary by asking the
/// sentinels for <see cref="ServiceName"/>.
/// </summary>
internal sealed class SentinelStore : IAsyncDisposable
{
    public const string ServiceName = "stickylb";

    private readonly string _directory = Directory.CreateTempSubdirectory("stickylb-sentinel-").FullName;
    private readonly List<Process> _processes = [];

    private SentinelStore()
    {
        Primary = FreePorts.Next();
        Replica = FreePorts.Next();
        Sentinels = [FreePorts.Next(), FreePorts.Next(), FreePorts.Next()];
    }

    public int Primary { get; }

    public int Replica { get; }

    public int[] Sentinels { get; }

    public static bool IsInstalled =>
        EmbeddedStoreServer.FindOnPath("redis-server") is not null && EmbeddedStoreServer.FindOnPath("redis-sentinel") is not null;

    /// <summary>What <c>--redis</c> takes: the sentinels and the service name, as a StackExchange.Redis user writes it.</summary>
    public string Configuration =>
        string.Join(',', Sentinels.Select(Endpoint)) + ",serviceName=" + ServiceName;

    public static string Endpoint(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Starts every node and waits until the replica is in sync and each sentinel knows the other two.</summary>
    public static async Task<SentinelStore> StartAsync()
    {
        var store = new SentinelStore();
        try
        {
            store.StartServer(store.Primary);
            store.StartServer(store.Replica, "--replicaof", "127.0.0.1", store.Primary.ToString(CultureInfo.InvariantCulture));
            foreach (var port in store.Sentinels)
            {
                store.StartSentinel(port);
            }

            await store.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL to the primary: what a crashed node does.</summary>
    public void KillPrimary()
    {
        var primary = _processes[0];
        primary.Kill();
        primary.WaitForExit();
    }

    /// <summary>The primary the sentinels name now.</summary>
    public async Task<int> CurrentPrimaryAsync()
    {
        await using var sentinel = await ConnectToSentinelAsync(Sentinels[0]);
        var address = await sentinel.GetServer(Endpoint(Sentinels[0])).SentinelGetMasterAddressByNameAsync(ServiceName);
        return ((System.Net.IPEndPoint)address!).Port;
    }

    private void StartServer(int port, params string[] extra)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture))).FullName;
        var startInfo = new ProcessStartInfo(EmbeddedStoreServer.FindOnPath("redis-server")!)
        {
            ArgumentList = { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0" },
        };
        foreach (var argument in extra)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Start(startInfo);
    }

    private void StartSentinel(int port)
    {
        // A sentinel rewrites its configuration file as it learns: each needs its own, writable.
        var folder = Directory.CreateDirectory(Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture))).FullName;
        var file = Path.Combine(folder, "sentinel.conf");
        File.WriteAllText(file, string.Join('\n',
            $"port {port}",
            "bind 127.0.0.1",
            $"dir {folder}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {Primary} 2",
            $"sentinel down-after-milliseconds {ServiceName} 1000",
            $"sentinel failover-timeout {ServiceName} 3000",
            $"sentinel parallel-syncs {ServiceName} 1",
            ""));
        Start(new ProcessStartInfo(EmbeddedStoreServer.FindOnPath("redis-sentinel")!) { ArgumentList = { file } });
    }

    private void Start(ProcessStartInfo startInfo)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private Task WaitUntilReadyAsync(TimeSpan timeout) =>
        Eventually.TrueAsync(
            async () => await IsReadyAsync() || (_processes.Any(p => p.HasExited)
                ? throw new InvalidOperationException("The Sentinel store did not become ready: a node exited.")
                : false),
            timeout,
            () => "the Sentinel store did not become ready (the replica and sentinels did not meet).",
            interval: TimeSpan.FromMilliseconds(100));

    private async Task<bool> IsReadyAsync()
    {
        try
        {
            foreach (var port in Sentinels)
            {
                await using var sentinel = await ConnectToSentinelAsync(port);
                var master = (await sentinel.GetServer(Endpoint(port)).SentinelMasterAsync(ServiceName)).ToDictionary(p => p.Key, p => p.Value);
                if (master["num-slaves"] != "1" || master["num-other-sentinels"] != "2" || master["flags"] != "master")
                {
                    return false;
                }
            }

            await using var replica = await ConnectionMultiplexer.ConnectAsync(Endpoint(Replica) + ",connectTimeout=1000,allowAdmin=true");
            var info = await replica.GetServer(Endpoint(Replica)).InfoRawAsync("replication");
            return info?.Contains("master_link_status:up", StringComparison.Ordinal) == true;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    private static Task<ConnectionMultiplexer> ConnectToSentinelAsync(int port) =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { Endpoint(port) },
            CommandMap = CommandMap.Sentinel,
            TieBreaker = string.Empty,
            ConnectTimeout = 1000,
        });

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying node; the temp folder is cleaned up eventually.
        }

        return ValueTask.CompletedTask;
    }
}
