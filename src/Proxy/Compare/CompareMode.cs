using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Compare;

/// <summary>One of the setups the comparison runs.</summary>
/// <param name="Affinity">False: <c>--affinity off</c>, every request balanced on its own.</param>
/// <param name="Drain">
/// A planned restart: backend 2 is drained before it stops, so that new users go elsewhere and some of
/// its users finish their visit first.
/// </param>
/// <param name="Replication">Replicated mode's replication: sync (default) or async.</param>
/// <param name="StoreKilled">
/// Redis mode's embedded store is SIGKILLed (and started again by the gateway) instead of backend 2, while the
/// users keep changing their carts.
/// </param>
/// <param name="Balance">How new pins are placed (<c>--balance</c>); null: the gateway's default.</param>
/// <param name="Rebalance">The rebalance factor (<c>--rebalance</c>); null: off.</param>
/// <param name="Restart">
/// After the story, backend 2 is started again, its slow start runs out, and as many new users as the story had log in:
/// how evenly the sessions are placed then.
/// </param>
internal sealed record CompareMode(
    StoreMode Store, FailoverMode Failover, bool Affinity = true, bool Drain = false, ReplicationMode Replication = ReplicationMode.Sync, bool StoreKilled = false,
    string? Balance = null, double? Rebalance = null, bool Restart = false)
{
    /// <summary>
    /// The slow start of every setup (<c>--slow-start</c>), shortened from the default 10 s so that the restart phase waits
    /// 1 s for it to run out, not 10: the ramp is the same, only faster.
    /// </summary>
    public static readonly TimeSpan SlowStart = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The setups of the comparison, in the order they run: SPEC's seven (replicated with the default, sync
    /// replication), the planned restart, then the store's own crash, async replication's window and rebalancing. The
    /// restart phase runs in two memory setups, one placing by <c>LeastSessions</c> (the default), one by <c>RoundRobin</c>.
    /// </summary>
    public static readonly IReadOnlyList<CompareMode> All =
    [
        new(StoreMode.Memory, FailoverMode.Redistribute, Restart: true),
        new(StoreMode.Memory, FailoverMode.Return503Error),
        new(StoreMode.Redis, FailoverMode.Redistribute),
        new(StoreMode.Replicated, FailoverMode.Redistribute),
        new(StoreMode.Memory, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Redis, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Replicated, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Memory, FailoverMode.Redistribute, Drain: true, Balance: Placement.PlacementDefaults.RoundRobin, Restart: true),
        new(StoreMode.Redis, FailoverMode.Redistribute, StoreKilled: true),
        new(StoreMode.Replicated, FailoverMode.Redistribute, Replication: ReplicationMode.Async),
        new(StoreMode.Redis, FailoverMode.Redistribute, Rebalance: 1.25),
    ];

    public string StoreName => Store.Name();

    /// <summary>The replication's name in replicated mode (<c>sync</c>, <c>async</c>), else null.</summary>
    public string? ReplicationName => Store == StoreMode.Replicated ? Replication.Name() : null;

    public override string ToString() => CompareRun.SetupName(StoreName, Failover.ToString(), Affinity, Drain, ReplicationName, StoreKilled, Balance, Rebalance);
}
