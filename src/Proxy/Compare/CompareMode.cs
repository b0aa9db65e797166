using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Compare;

/// <summary>One of the setups the comparison runs.</summary>
/// <param name="Affinity">False: <c>--affinity off</c>, every request balanced on its own.</param>
/// <param name="Drain">
/// A planned restart: backend 2 is drained before it stops, so that new users go elsewhere and some of
/// its users finish their visit first.
/// </param>
internal sealed record CompareMode(StoreMode Store, FailoverMode Failover, bool Affinity = true, bool Drain = false)
{
    /// <summary>
    /// The setups of the comparison, in the order they run: SPEC's seven (replicated with the default, sync
    /// replication), then the planned restart.
    /// </summary>
    public static readonly IReadOnlyList<CompareMode> All =
    [
        new(StoreMode.Memory, FailoverMode.Redistribute),
        new(StoreMode.Memory, FailoverMode.Return503Error),
        new(StoreMode.Redis, FailoverMode.Redistribute),
        new(StoreMode.Replicated, FailoverMode.Redistribute),
        new(StoreMode.Memory, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Redis, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Replicated, FailoverMode.Redistribute, Affinity: false),
        new(StoreMode.Memory, FailoverMode.Redistribute, Drain: true),
    ];

    public string StoreName => Store.Name();

    public override string ToString() => CompareRun.SetupName(StoreName, Failover.ToString(), Affinity, Drain);
}
