using StickyLb.Shared;

namespace StickyLb.BackendApp.Hosting;

/// <summary>
/// The thread pool's floor of a backend, by the store it uses. The pool starts with one worker per core and adds
/// threads slowly when they block. Behind Redis Sentinel that is too slow: during a failover StackExchange.Redis blocks
/// pool threads in its synchronous Sentinel calls (it asks the sentinels and waits for a reconfiguration, up to
/// connectTimeout each, every second while the primary is gone), and a backend stalled for 0.4-0.7 s with 38 work items
/// queued; with 32 threads from the start every backend used the new primary within 0.14 s of <c>+switch-master</c>
/// (bench/sentinel-failover-results.md). Replicated mode keeps the same floor, which it has run with since.
/// Everywhere else the floor is a cost: the pool then wakes up to 32 threads for queued work, each wake-up a context
/// switch on a small machine. Measured with bench/stores-cost.py (2 cores, 5 alternating rounds, bench/stores-cost-results.md):
/// without the floor a redis-mode backend spent 63 µs of CPU per <c>GET /cart</c> instead of 67 and 79 instead of 86 per
/// <c>GET /whoami</c>, with 2.7 context switches per request instead of 4.1 (its throughput moved less than the rounds'
/// spread; its <c>/whoami</c> p99 fell from 7.8 to 7.2 ms), and a memory-mode backend 40 µs instead of 48, with 2-8% more
/// throughput.
/// </summary>
internal static class BackendThreadPool
{
    /// <summary>Worker threads the pool starts with behind Redis Sentinel and in replicated mode.</summary>
    public const int HeadroomThreads = 32;

    /// <summary>
    /// The minimum worker threads for a backend with <paramref name="store"/> (a <see cref="StoreModeNames"/> name) and, in
    /// redis mode, the store's configuration string <paramref name="redis"/>; null for the runtime's default.
    /// </summary>
    public static int? MinWorkerThreads(string? store, string? redis)
    {
        if (string.Equals(store, StoreModeNames.Replicated, StringComparison.OrdinalIgnoreCase))
        {
            return HeadroomThreads;
        }

        if (string.Equals(store, StoreModeNames.Redis, StringComparison.OrdinalIgnoreCase) && IsSentinel(redis))
        {
            return HeadroomThreads;
        }

        return null;
    }

    /// <summary>Raises the pool's floor when <see cref="MinWorkerThreads"/> says so; never lowers it.</summary>
    public static void Apply(string? store, string? redis)
    {
        if (MinWorkerThreads(store, redis) is not { } workers)
        {
            return;
        }

        ThreadPool.GetMinThreads(out var currentWorkers, out var completionPorts);
        if (currentWorkers < workers)
        {
            ThreadPool.SetMinThreads(workers, completionPorts);
        }
    }

    private static bool IsSentinel(string? redis) =>
        redis is not null && StoreConfiguration.TryParse(redis, out var options, out _) && !string.IsNullOrEmpty(options.ServiceName);
}
