using System.Collections.Concurrent;
using System.Globalization;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Placement;
using StickyLb.Proxy.Simulation;
using StickyLb.Proxy.Store;
using StickyLb.Shared;

namespace StickyLb.Proxy.Compare;

/// <summary>
/// Runs the used-by story once for one setup: a gateway with three backends (in this process, built
/// as <c>Program.cs</c> builds it, on free ports), N users who log in, fill a cart and make a few
/// requests, SIGKILL of backend 2, one more request each, and every user classified. With a drain (a
/// planned restart), backend 2 is drained first: half of its users finish their visit (log out and
/// leave) and as many new users arrive before it stops; the others are still active when it stops.
/// Every user keeps changing its cart, in rounds, while backend 2 (or, in the store-killed setup, the
/// embedded store) dies; each change a 2xx acknowledged is checked against the user's last read of its cart.
/// </summary>
internal sealed class CompareRunner(int users)
{
    /// <summary>The backend the story kills.</summary>
    public const string KilledBackend = "2";

    private const int Parallelism = 16;

    /// <summary>Requests each active user makes in the skewed phase; every other user makes one.</summary>
    public const int ActiveUserRequests = 4;

    /// <summary>Rounds of changes (one cart item per user each) before the failure, and after it once everyone is served again.</summary>
    public const int ChangeRounds = 1;

    /// <summary>The shortest round of changes: while the store is down every change fails at once, and users do not hammer.</summary>
    private static readonly TimeSpan MinRound = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the store-killed setup waits for the store, and every user, to be served again.</summary>
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="mode"/>; <paramref name="progress"/> is told of each user done, per phase.</summary>
    public async Task<CompareRun> RunAsync(CompareMode mode, Action<string> progress, CancellationToken cancellationToken)
    {
        string[] args =
        [
            "--store", mode.StoreName, "--failover", mode.Failover.ToString(), "--affinity", mode.Affinity ? "on" : "off",
            "--replication", mode.Replication.Name(),
            "--port", "0", "--admin-port", "0",
            "--slow-start", CompareMode.SlowStart.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--rebalance", mode.Rebalance is { } factor ? factor.ToString(CultureInfo.InvariantCulture) : PlacementDefaults.RebalanceOff,
            "--backend-port", FreePorts.Range(3).ToString(CultureInfo.InvariantCulture),
            "--store-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            // The progress display owns the console: the gateway's own log stays quiet.
            "--Logging:LogLevel:Default", "Critical", "--Logging:LogLevel:StickyLb", "Critical", "--Logging:LogLevel:Yarp", "Critical",
        ];
        if (mode.Balance is { } balance)
        {
            args = [.. args, "--balance", balance];
        }

        if (!GatewayApp.TryBuild(args, out var app, out var error))
        {
            throw new InvalidOperationException(error);
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
                return await RunStoryAsync(app.Services, progress, mode, cancellationToken);
            }
            finally
            {
                // Stops every backend and the embedded store, also when the run was interrupted.
                await app.StopAsync(CancellationToken.None);
            }
        }
    }

    private async Task<CompareRun> RunStoryAsync(IServiceProvider services, Action<string> progress, CompareMode mode, CancellationToken cancellationToken)
    {
        var gateway = services.GetRequiredService<GatewayListeners>().GatewayUrl;
        var supervisor = services.GetRequiredService<BackendSupervisor>();
        using var http = SimulatedUser.CreateSharedClient();
        var simulated = Enumerable.Range(1, users).Select(i => new SimulatedUser($"user{i}", http, gateway)).ToArray();
        var latencies = new ConcurrentBag<double>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
        var changes = new AcknowledgedChanges();

        UserReply Timed(UserReply reply)
        {
            latencies.Add(reply.Latency.TotalMilliseconds);
            return reply;
        }

        await Parallel.ForEachAsync(simulated, parallel, async (user, token) =>
        {
            Timed(await user.LoginAsync(token));
            // Each user then looks at its session in the skewed phase that follows.
            changes.Note(user, "book", Timed(await user.AddToCartAsync("book", token)));
            progress("sessions");
        });

        var memoryBytes = await MedianMemoryAsync(services.GetRequiredService<BackendProbe>(), supervisor, cancellationToken);
        if (mode.Rebalance is not null)
        {
            // The rebalancer measures the last 2 s: let the logins' even load leave its window, so that it sees the skew alone.
            // With them in it, backend 2 could serve up to 1.5x the skewed phase's mean before the bound applied.
            await Task.Delay(Rebalancer.Window + Rebalancer.Step, cancellationToken);
        }

        var (requestsPerBackend, imbalance, hitRate) = await SkewAsync(services.GetRequiredService<BackendRequestCounters>(), simulated, mode.Affinity, Timed, parallel);
        var lostBeforeKill = simulated.Count(u => !u.LoggedIn);
        var (ended, arrived) = (0, Array.Empty<SimulatedUser>());
        if (mode.Drain)
        {
            (simulated, ended, arrived) = await DrainAsync(services.GetRequiredService<DrainRegistry>(), simulated, http, gateway, Timed, changes, parallel);
        }

        // Some users also hold a live connection across the kill, opened last so that it is on the backend
        // each user is pinned to now; the first users, since the policy spreads them over every backend.
        // No backend dies in the store-killed setup: its live connections would show nothing.
        var liveUsers = mode.StoreKilled ? [] : simulated[..Math.Min(simulated.Length, CompareLiveConnections.UsersFor(users))];
        var live = await CompareLiveConnections.OpenAsync(liveUsers, gateway, parallel);
        var before = simulated.ToDictionary(u => u.Name, u => (u.Backend, u.Visits));
        var onKilledBackend = mode.StoreKilled ? 0 : before.Values.Count(b => b.Backend == KilledBackend);
        var round = 0;
        Task ChangeRoundAsync() => ChangeAsync(simulated, $"change{++round}", Timed, changes, parallel);
        for (var i = 0; i < ChangeRounds; i++)
        {
            await ChangeRoundAsync();
        }

        // The failure strikes while the users are changing: the next round is on its way as it does.
        var during = ChangeRoundAsync();
        if (mode.StoreKilled)
        {
            await KillStoreAsync(services.GetRequiredService<StoreSupervisor>(), during, ChangeRoundAsync, changes, simulated, cancellationToken);
        }
        else
        {
            if (supervisor.Kill(KilledBackend) == BackendCommandResult.Done)
            {
                await supervisor.Find(KilledBackend)!.WaitForExitAsync(cancellationToken);
            }

            await during;
        }

        for (var i = 0; i < ChangeRounds; i++)
        {
            await ChangeRoundAsync();
        }

        var outcomes = new ConcurrentBag<UserOutcome>();
        await Parallel.ForEachAsync(simulated, parallel, async (user, token) =>
        {
            outcomes.Add(await ClassifyAsync(user, before[user.Name].Visits, Timed, token));
            progress("after the kill");
        });

        // The last read of each cart: what it no longer shows of what was acknowledged is lost.
        var lostByUser = new ConcurrentDictionary<SimulatedUser, int>();
        await Parallel.ForEachAsync(simulated, parallel, async (user, token) =>
            lostByUser[user] = changes.LostBy(user, Timed(await user.GetCartAsync(token))));
        var lostOnSurvivors = mode.Affinity
            ? simulated.Where(u => mode.StoreKilled || before.GetValueOrDefault(u.Name).Backend != KilledBackend).Sum(u => lostByUser[u])
            : (int?)null;

        var liveConnections = mode.StoreKilled ? null : await CompareLiveConnections.AfterKillAsync(live, liveUsers, gateway, KilledBackend, parallel);
        var sessionsPerBackend = mode.Restart
            ? await RestartAsync(services, http, gateway, Timed, parallel)
            : null;
        var sorted = latencies.Order().ToArray();
        return new CompareRun(
            mode.StoreName,
            mode.Failover.ToString(),
            users,
            onKilledBackend,
            outcomes.Count(o => o == UserOutcome.Kept),
            outcomes.Count(o => o == UserOutcome.Lost),
            outcomes.Count(o => o == UserOutcome.Failed),
            Math.Round(Percentile(sorted, 0.50), 2),
            Math.Round(Percentile(sorted, 0.99), 2),
            memoryBytes,
            mode.Affinity,
            requestsPerBackend,
            imbalance,
            lostBeforeKill,
            mode.Drain,
            ended,
            arrived.Length,
            arrived.Count(u => u.Backend == KilledBackend),
            liveConnections,
            mode.ReplicationName,
            mode.StoreKilled,
            changes.Count,
            lostByUser.Values.Sum(),
            lostOnSurvivors,
            hitRate,
            services.GetRequiredService<AffinityCounters>().Snapshot().Rebalanced,
            sessionsPerBackend,
            BalancePolicy(services),
            mode.Rebalance);
    }

    /// <summary>The load-balancing policy the gateway's cluster runs, as YARP has it.</summary>
    private static string BalancePolicy(IServiceProvider services) =>
        services.GetRequiredService<Yarp.ReverseProxy.IProxyStateLookup>().TryGetCluster(GatewayOptions.ClusterId, out var cluster)
            ? cluster.Model.Config.LoadBalancingPolicy ?? ""
            : "";

    /// <summary>
    /// The restart phase: backend 2 is started again (and, after a planned restart, made ready: it takes new users again),
    /// its slow start runs out, and as many new users as the run had log in. Returns the sessions each backend holds then.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, int>> RestartAsync(
        IServiceProvider services, HttpMessageInvoker http, Uri gateway, Func<UserReply, UserReply> timed, ParallelOptions parallel)
    {
        var supervisor = services.GetRequiredService<BackendSupervisor>();
        services.GetRequiredService<DrainRegistry>().Ready(KilledBackend);
        if (await supervisor.StartAsync(KilledBackend, parallel.CancellationToken) != BackendCommandResult.Done)
        {
            throw new InvalidOperationException($"compare: backend {KilledBackend} did not start again for the restart phase.");
        }

        // A real-time behaviour: the gateway ramps the restarted backend over its slow start, which starts when it is ready.
        await Task.Delay(CompareMode.SlowStart, parallel.CancellationToken);
        var arriving = Enumerable.Range(1, users).Select(i => new SimulatedUser($"late{i}", http, gateway)).ToArray();
        await Parallel.ForEachAsync(arriving, parallel, async (user, token) => timed(await user.LoginAsync(token)));
        var probe = services.GetRequiredService<BackendProbe>();
        var reports = await Task.WhenAll(supervisor.Backends.Select(async b => (b.Id, Report: await probe.GetHealthAsync(b.Address, parallel.CancellationToken))));
        return reports.ToDictionary(r => r.Id, r => r.Report?.Sessions ?? 0, StringComparer.Ordinal);
    }

    /// <summary>One round of changes: every user adds <paramref name="item"/> to its cart, taking at least <see cref="MinRound"/>.</summary>
    private static async Task ChangeAsync(SimulatedUser[] simulated, string item, Func<UserReply, UserReply> timed, AcknowledgedChanges changes, ParallelOptions parallel)
    {
        var pace = Task.Delay(MinRound, parallel.CancellationToken);
        await Parallel.ForEachAsync(simulated, parallel, async (user, token) => changes.Note(user, item, timed(await user.AddToCartAsync(item, token))));
        await pace;
    }

    /// <summary>
    /// SIGKILLs the embedded store while <paramref name="during"/> is on its way, and keeps the users changing
    /// until the gateway has started it again and a whole round of changes succeeds: everyone is served again.
    /// </summary>
    private static async Task KillStoreAsync(
        StoreSupervisor store, Task during, Func<Task> changeRound, AcknowledgedChanges changes, SimulatedUser[] simulated, CancellationToken cancellationToken)
    {
        var killed = store.EmbeddedStorePid;
        if (!store.KillEmbeddedStore())
        {
            throw new InvalidOperationException("compare: the embedded store was not running when its setup meant to kill it.");
        }

        await during;
        var recovery = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var back = store.IsEmbeddedStoreReady && store.EmbeddedStorePid != killed;
            var before = changes.Count;
            await changeRound();
            if (back && changes.Count - before == simulated.Length)
            {
                return;
            }

            if (recovery.Elapsed > RecoveryTimeout)
            {
                throw new InvalidOperationException($"compare: the embedded store was not serving every user {RecoveryTimeout.TotalSeconds:0} s after it was killed.");
            }
        }
    }

    /// <summary>
    /// The seeds' skew: the users pinned to backend 2 (without affinity, the same third of the users) keep
    /// working, <see cref="ActiveUserRequests"/> requests each, while the others make one. Returns what each
    /// backend served meanwhile (the gateway's own per-backend counters), the busiest over the mean, and with affinity
    /// the share of requests answered by the backend the user's cookie named when it sent them.
    /// </summary>
    private static async Task<(IReadOnlyDictionary<string, long> Requests, double Imbalance, double? HitRate)> SkewAsync(
        BackendRequestCounters counters, SimulatedUser[] simulated, bool affinity, Func<UserReply, UserReply> timed, ParallelOptions parallel)
    {
        var before = counters.Snapshot();
        var (sent, hits) = (0, 0);
        await Parallel.ForEachAsync(simulated.Select((user, i) => (user, i)), parallel, async (entry, token) =>
        {
            var active = affinity ? entry.user.Backend == KilledBackend : entry.i % 3 == 1;
            for (var request = 0; request < (active ? ActiveUserRequests : 1); request++)
            {
                var pin = entry.user.Pin;
                var reply = timed(await entry.user.WhoAmIAsync(token));
                Interlocked.Increment(ref sent);
                if (pin is not null && reply.Backend == pin)
                {
                    Interlocked.Increment(ref hits);
                }
            }
        });

        var after = counters.Snapshot();
        var served = after.ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
        var mean = served.Count == 0 ? 0 : served.Values.Average();
        return (served, mean == 0 ? 0 : Math.Round(served.Values.Max() / mean, 2), affinity && sent > 0 ? Math.Round((double)hits / sent, 3) : null);
    }

    /// <summary>
    /// Drains backend 2; every other of its users logs out and leaves, and as many new users log in,
    /// add to their cart and look at it. Returns the users still around, how many left, and the new ones.
    /// </summary>
    private static async Task<(SimulatedUser[] Users, int Ended, SimulatedUser[] Arrived)> DrainAsync(
        DrainRegistry drain, SimulatedUser[] simulated, HttpMessageInvoker http, Uri gateway, Func<UserReply, UserReply> timed, AcknowledgedChanges changes, ParallelOptions parallel)
    {
        drain.Drain(KilledBackend);
        var leaving = simulated.Where(u => u.Backend == KilledBackend).Where((_, i) => i % 2 == 0).ToHashSet();
        var arrived = Enumerable.Range(1, leaving.Count).Select(i => new SimulatedUser($"new{i}", http, gateway)).ToArray();
        await Parallel.ForEachAsync(leaving, parallel, async (user, token) => timed(await user.LeaveAsync(token)));
        await Parallel.ForEachAsync(arrived, parallel, async (user, token) =>
        {
            timed(await user.LoginAsync(token));
            changes.Note(user, "book", timed(await user.AddToCartAsync("book", token)));
            timed(await user.WhoAmIAsync(token));
        });
        return ([.. simulated.Where(u => !leaving.Contains(u)), .. arrived], leaving.Count, arrived);
    }

    /// <summary>The median of the backends' resident memory, as each reports it on <c>/healthz</c>.</summary>
    private static async Task<long> MedianMemoryAsync(BackendProbe probe, BackendSupervisor supervisor, CancellationToken cancellationToken)
    {
        var reports = await Task.WhenAll(supervisor.Backends.Select(b => probe.GetHealthAsync(b.Address, cancellationToken)));
        var memory = reports.OfType<HealthResponse>().Select(r => r.MemoryBytes).Order().ToArray();
        return memory.Length == 0 ? 0 : memory[memory.Length / 2];
    }

    /// <summary>Kept: same user, visits continue, cart intact. Lost: answered without the session. Failed: 5xx or nothing.</summary>
    internal static async Task<UserOutcome> ClassifyAsync(SimulatedUser user, int visitsBefore, Func<UserReply, UserReply> timed, CancellationToken cancellationToken)
    {
        var whoAmI = timed(await user.WhoAmIAsync(cancellationToken));
        if (whoAmI.IsFailure)
        {
            return UserOutcome.Failed;
        }

        if (!whoAmI.IsSuccess || whoAmI.Text("user") != user.Name || whoAmI.Number("visits") != visitsBefore + 1)
        {
            return UserOutcome.Lost;
        }

        var cart = timed(await user.GetCartAsync(cancellationToken));
        return cart.IsFailure ? UserOutcome.Failed : cart.ArrayLength("items") == 0 ? UserOutcome.Lost : UserOutcome.Kept;
    }

    private static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * fraction))];
}
