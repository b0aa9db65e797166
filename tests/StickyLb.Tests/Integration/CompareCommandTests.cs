using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using StickyLb.Proxy.Compare;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary><c>compare</c> as a user runs it: the real command, real processes.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class CompareCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CompareWith300UsersShowsWhatEachSetupDoesToTheUsersOfTheKilledBackend()
    {
        var outDirectory = Directory.CreateTempSubdirectory("stickylb-compare-").FullName;
        var stopwatch = Stopwatch.StartNew();

        // A generous bound that only stops a hung run; how long a run takes is reported, not asserted.
        var (exitCode, text, comparePid) = await RunCompareAsync(["--users", "300", "--out", outDirectory], TimeSpan.FromSeconds(240));
        output.WriteLine($"compare with 300 users took {stopwatch.Elapsed.TotalSeconds:0} s.");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDirectory, "compare.json")));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var svg = XDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDirectory, "compare.svg")));

        Assert.Equal(0, exitCode);
        Assert.Equal(11, runs.Count);
        var (memoryMove, memory503, redis, replicated) = (runs[0], runs[1], runs[2], runs[3]);
        var (memoryFree, redisFree, replicatedFree, drained) = (runs[4], runs[5], runs[6], runs[7]);
        var (storeKilled, replicatedAsync, rebalanced) = (runs[8], runs[9], runs[10]);
        var backendKilled = runs.Where(r => r.GetProperty("storeKilled").GetBoolean() == false).ToList();
        Assert.Equal(("memory", "Redistribute"), (memoryMove.GetProperty("store").GetString(), memoryMove.GetProperty("failover").GetString()));
        Assert.Equal(("memory", "Return503Error"), (memory503.GetProperty("store").GetString(), memory503.GetProperty("failover").GetString()));
        Assert.Equal(("memory", "Redistribute", true), (drained.GetProperty("store").GetString(), drained.GetProperty("failover").GetString(), drained.GetProperty("drain").GetBoolean()));
        Assert.Equal([false, false, false, false, false, false, false, true, false, false, false], runs.Select(r => r.GetProperty("drain").GetBoolean()));
        Assert.Equal([true, true, true, true, false, false, false, true, true, true, true], runs.Select(r => r.GetProperty("affinity").GetBoolean()));
        Assert.Equal([false, false, false, false, false, false, false, false, true, false, false], runs.Select(r => r.GetProperty("storeKilled").GetBoolean()));
        Assert.Equal([null, null, null, "sync", null, null, "sync", null, null, "async", null], runs.Select(r => r.GetProperty("replication").GetString()));
        // Placement: LeastSessions places new pins by default, RoundRobin without affinity and where a setup asks for it.
        Assert.Equal(
            ["LeastSessions", "LeastSessions", "LeastSessions", "LeastSessions", "RoundRobin", "RoundRobin", "RoundRobin", "RoundRobin", "LeastSessions", "LeastSessions", "LeastSessions"],
            runs.Select(r => r.GetProperty("balance").GetString()));
        Assert.Equal([null, null, null, null, null, null, null, null, null, null, 1.25], runs.Select(r => r.GetProperty("rebalance").ValueKind == JsonValueKind.Null ? (double?)null : r.GetProperty("rebalance").GetDouble()));
        Assert.Equal(("redis", "Redistribute"), (rebalanced.GetProperty("store").GetString(), rebalanced.GetProperty("failover").GetString()));
        Assert.Equal(("redis", "replicated"), (storeKilled.GetProperty("store").GetString(), replicatedAsync.GetProperty("store").GetString()));
        Assert.Equal(["memory", "redis", "replicated"], runs[4..7].Select(r => r.GetProperty("store").GetString()));
        // The seeds' whole argument. Without affinity, memory mode loses most users before anything dies;
        // with it, the active users' backend carries the load while the others idle; a shared session lets
        // the gateway balance again, and nobody loses anything.
        Assert.InRange(memoryFree.GetProperty("lostBeforeKill").GetInt32(), 200, 300);
        Assert.All(runs[..4], r => Assert.Equal(0, r.GetProperty("lostBeforeKill").GetInt32()));
        Assert.All(runs[8..], r => Assert.Equal(0, r.GetProperty("lostBeforeKill").GetInt32()));
        Assert.All([memoryMove, memory503, redis, replicated], r => Assert.InRange(r.GetProperty("loadImbalance").GetDouble(), 1.8, 3.0));
        Assert.All([memoryFree, redisFree, replicatedFree], r => Assert.InRange(r.GetProperty("loadImbalance").GetDouble(), 1.0, 1.2));
        // Stickiness without its load price: with a shared store the gateway moves enough of backend 2's busy users to keep
        // it within 1.25x the mean, and most requests still reach the backend their cookie names. Without rebalancing
        // every request of the skewed phase is a hit.
        static double? HitRate(JsonElement run) => run.GetProperty("affinityHitRate").ValueKind == JsonValueKind.Null ? null : run.GetProperty("affinityHitRate").GetDouble();
        Assert.InRange(rebalanced.GetProperty("loadImbalance").GetDouble(), 1.0, 1.25);
        Assert.InRange(HitRate(rebalanced)!.Value, 0.9, 0.999);
        Assert.InRange(rebalanced.GetProperty("rebalanced").GetInt64(), 1, 60);
        Assert.Equal((300, 0, 0), (rebalanced.GetProperty("kept").GetInt32(), rebalanced.GetProperty("lost").GetInt32(), rebalanced.GetProperty("failed").GetInt32()));
        Assert.All([memoryMove, memory503, redis, replicated, drained, storeKilled, replicatedAsync], r => Assert.Equal((1.0, 0L), (HitRate(r), r.GetProperty("rebalanced").GetInt64())));
        Assert.All([memoryFree, redisFree, replicatedFree], r => Assert.Null(HitRate(r)));
        // The restart phase: backend 2 started again empty, its slow start over, then 300 new users. LeastSessions leaves
        // the backends within 10% of each other; round robin gives each new users alike, so backend 2 stays short.
        static int[] Sessions(JsonElement run) => [.. run.GetProperty("sessionsPerBackend").EnumerateObject().OrderBy(p => p.Name).Select(p => p.Value.GetInt32())];
        var (leastSessions, roundRobin) = (Sessions(memoryMove), Sessions(drained));
        output.WriteLine($"sessions after the restart phase: LeastSessions {string.Join(" / ", leastSessions)}, RoundRobin {string.Join(" / ", roundRobin)}.");
        Assert.True(leastSessions.Max() <= leastSessions.Min() * 1.1, $"LeastSessions: {string.Join(" / ", leastSessions)}.");
        Assert.InRange(leastSessions.Sum(), 550, 650);
        Assert.True(roundRobin[1] < 0.6 * Math.Min(roundRobin[0], roundRobin[2]), $"RoundRobin: {string.Join(" / ", roundRobin)}.");
        Assert.Equal([0, 7], runs.Select((r, i) => (Run: r, Index: i)).Where(r => r.Run.GetProperty("sessionsPerBackend").ValueKind != JsonValueKind.Null).Select(r => r.Index));
        Assert.All([redisFree, replicatedFree], r => Assert.Equal((300, 0, 0), (r.GetProperty("kept").GetInt32(), r.GetProperty("lost").GetInt32(), r.GetProperty("failed").GetInt32())));
        Assert.All(runs, r => Assert.Equal(["1", "2", "3"], r.GetProperty("requestsPerBackend").EnumerateObject().Select(p => p.Name).Order()));
        Assert.Equal(("redis", "Redistribute"), (redis.GetProperty("store").GetString(), redis.GetProperty("failover").GetString()));
        Assert.Equal(("replicated", "Redistribute"), (replicated.GetProperty("store").GetString(), replicated.GetProperty("failover").GetString()));
        Assert.All(runs, r => Assert.Equal(300, r.GetProperty("users").GetInt32()));
        Assert.All(backendKilled, r => Assert.InRange(r.GetProperty("usersOnKilledBackend").GetInt32(), 1, 299));
        Assert.Equal((0, 300, 0, 0), (storeKilled.GetProperty("usersOnKilledBackend").GetInt32(), storeKilled.GetProperty("kept").GetInt32(), storeKilled.GetProperty("lost").GetInt32(), storeKilled.GetProperty("failed").GetInt32()));
        // Acknowledged changes: every user's first item and a change a round, checked against a last read of the cart.
        // Nothing lost by the users of surviving backends in any setup; nothing at all in the redis and sync setups;
        // memory setups lose exactly what backend 2's users had acknowledged before it died (the first item and the
        // rounds before, plus the round on its way if backend 2 answered it first); a store killed, at most its last second
        // (redis-server's AOF is written before each reply: nothing); async, its window, counted.
        static (int Acknowledged, int Lost, int? LostOnSurvivors) Changes(JsonElement run) => (
            run.GetProperty("acknowledgedChanges").GetInt32(), run.GetProperty("acknowledgedChangesLost").GetInt32(),
            run.GetProperty("acknowledgedChangesLostOnSurvivingBackends").ValueKind == JsonValueKind.Null ? null : run.GetProperty("acknowledgedChangesLostOnSurvivingBackends").GetInt32());
        Assert.All(runs, r => Assert.InRange(Changes(r).Acknowledged, 300 * 2, 300 * 20));
        Assert.All(runs.Where(r => r.GetProperty("affinity").GetBoolean()), r => Assert.Equal(0, Changes(r).LostOnSurvivors));
        Assert.All([memoryFree, redisFree, replicatedFree], r => Assert.Null(Changes(r).LostOnSurvivors));
        Assert.All([redis, replicated, redisFree, replicatedFree, rebalanced], r => Assert.Equal(0, Changes(r).Lost));
        const int before = 1 + CompareRunner.ChangeRounds;
        Assert.All([memoryMove, memory503, drained], r =>
            Assert.InRange(Changes(r).Lost, before * r.GetProperty("usersOnKilledBackend").GetInt32(), (before + 1) * r.GetProperty("usersOnKilledBackend").GetInt32()));
        Assert.InRange(Changes(memoryFree).Lost, 300, Changes(memoryFree).Acknowledged);
        Assert.InRange(Changes(storeKilled).Lost, 0, StoreServer.IsRedisServerInstalled ? 0 : 300 * (before + 1));
        Assert.InRange(Changes(replicatedAsync).Lost, 0, (before + 1) * replicatedAsync.GetProperty("usersOnKilledBackend").GetInt32());
        output.WriteLine($"acknowledged changes lost: {string.Join(", ", runs.Select(r => $"{Changes(r).Lost} of {Changes(r).Acknowledged}"))}.");
        Assert.Equal((memoryMove.GetProperty("usersOnKilledBackend").GetInt32(), 0), (memoryMove.GetProperty("lost").GetInt32(), memoryMove.GetProperty("failed").GetInt32()));
        Assert.Equal((memory503.GetProperty("usersOnKilledBackend").GetInt32(), 0), (memory503.GetProperty("failed").GetInt32(), memory503.GetProperty("lost").GetInt32()));
        // The planned restart: no new user is pinned to the draining backend; half of its users finish and
        // leave before it stops, and as many new ones arrive; the ones still active when it stops lose
        // their session, and only they.
        var ended = drained.GetProperty("endedBeforeStop").GetInt32();
        Assert.InRange(ended, 1, 150);
        Assert.Equal((ended, 0), (drained.GetProperty("arrivedDuringDrain").GetInt32(), drained.GetProperty("arrivedOnStoppedBackend").GetInt32()));
        Assert.Equal((drained.GetProperty("usersOnKilledBackend").GetInt32(), 0), (drained.GetProperty("lost").GetInt32(), drained.GetProperty("failed").GetInt32()));
        Assert.Equal(300, drained.GetProperty("kept").GetInt32() + drained.GetProperty("lost").GetInt32());
        Assert.InRange(ended - drained.GetProperty("usersOnKilledBackend").GetInt32(), 0, 1);
        Assert.Equal((300, 0, 0), (redis.GetProperty("kept").GetInt32(), redis.GetProperty("lost").GetInt32(), redis.GetProperty("failed").GetInt32()));
        Assert.Equal((300, 0, 0), (replicated.GetProperty("kept").GetInt32(), replicated.GetProperty("lost").GetInt32(), replicated.GetProperty("failed").GetInt32()));
        // Live connections: 30 users (a tenth) hold one across the kill. Pinned, every one opens; those on
        // backend 2 lose it in every store mode, and reconnect elsewhere unless the policy is 503.
        static (int OnKilled, int Reconnected, int StateLost, int Opened) Live(JsonElement run)
        {
            var live = run.GetProperty("liveConnections");
            return (live.GetProperty("onKilledBackend").GetInt32(), live.GetProperty("reconnected").GetInt32(), live.GetProperty("stateLost").GetInt32(), live.GetProperty("opened").GetInt32());
        }

        Assert.All(backendKilled, r => Assert.Equal(30, r.GetProperty("liveConnections").GetProperty("users").GetInt32()));
        Assert.Equal(JsonValueKind.Null, storeKilled.GetProperty("liveConnections").ValueKind);
        Assert.All([memoryMove, redis, replicated, drained, replicatedAsync, rebalanced], r =>
        {
            var (onKilled, reconnected, stateLost, opened) = Live(r);
            Assert.Equal((30, onKilled, onKilled), (opened, reconnected, stateLost));
            Assert.InRange(onKilled, 1, 29);
        });
        Assert.Equal((0, Live(memory503).OnKilled, 30), (Live(memory503).Reconnected, Live(memory503).StateLost, Live(memory503).Opened));
        Assert.InRange(Live(memory503).OnKilled, 1, 29);
        // Without affinity the negotiate and the WebSocket are balanced each on their own: most cannot open.
        Assert.All([memoryFree, redisFree, replicatedFree], r =>
        {
            var (onKilled, _, stateLost, opened) = Live(r);
            Assert.InRange(opened, 0, 20);
            Assert.Equal(onKilled, stateLost);
        });
        Assert.Contains("a live connection can only be pinned, never shared", await File.ReadAllTextAsync(Path.Combine(outDirectory, "compare.md")));
        Assert.All(runs, r => Assert.InRange(r.GetProperty("memoryBytesPerBackend").GetInt64(), 20_000_000, 4_000_000_000));
        Assert.All(runs, r => Assert.True(r.GetProperty("p50Ms").GetDouble() > 0 && r.GetProperty("p99Ms").GetDouble() >= r.GetProperty("p50Ms").GetDouble()));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.True(File.Exists(Path.Combine(outDirectory, "compare.md")));
        Assert.Contains("kept", text);
        Assert.Contains("a planned restart", text);
        // A backend compare left behind would have been reparented, so look at every process.
        Assert.DoesNotContain(RunningProcesses.All(), p => p.CommandLine.Contains("BackendApp", StringComparison.Ordinal)
            && p.CommandLine.Contains($"--Backend:ParentPid {comparePid}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CtrlCStopsCompareAndEverythingItStarted()
    {
        using var compare = StartCompare(["--users", "3000", "--out", Directory.CreateTempSubdirectory("stickylb-compare-").FullName]);
        try
        {
            await InterruptMidStoryAsync(compare);
        }
        finally
        {
            // On failure too: nothing this test started may outlive it.
            if (!compare.HasExited)
            {
                compare.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task InterruptMidStoryAsync(Process compare)
    {
        // Read the progress output (the command would block on a full pipe) and interrupt once users
        // are being served: mid-story, with three backends running.
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        compare.OutputDataReceived += (_, e) => lines.Enqueue(e.Data ?? "");
        compare.ErrorDataReceived += (_, e) => lines.Enqueue(e.Data ?? "");
        compare.BeginOutputReadLine();
        compare.BeginErrorReadLine();
        var midStory = new System.Text.RegularExpressions.Regex(@"Redistribute\S*: *[1-9]");
        await Eventually.TryTrueAsync(() => lines.Any(midStory.IsMatch) || compare.HasExited, TimeSpan.FromSeconds(60), interval: TimeSpan.FromMilliseconds(50));

        var children = RunningProcesses.DescendantsOf(compare.Id).Where(p => p.CommandLine.Contains("BackendApp", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, children.Count);
        Assert.Contains(lines, midStory.IsMatch);

        Posix.Signal(compare.Id, Posix.SigInt);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await compare.WaitForExitAsync(timeout.Token);

        Assert.Equal(130, compare.ExitCode);
        foreach (var child in children)
        {
            Assert.True(await Posix.WaitForExitAsync(child.Pid, TimeSpan.FromSeconds(5)), $"{child.CommandLine} outlived compare.");
        }
    }

    private async Task<(int ExitCode, string Output, int Pid)> RunCompareAsync(string[] args, TimeSpan timeout)
    {
        using var process = StartCompare(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await stdout + await stderr;
        output.WriteLine(text);
        return (process.ExitCode, text, process.Id);
    }

    private static Process StartCompare(string[] args)
    {
        var startInfo = new ProcessStartInfo(GatewayProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Proxy.dll"), "compare" },
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        return Process.Start(startInfo)!;
    }
}
