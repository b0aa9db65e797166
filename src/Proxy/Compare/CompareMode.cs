using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Compare;

/// <summary>One of the setups the comparison runs.</summary>
/// <param name="Drain">
/// A planned restart: backend 2 is drained before it stops, so that new users go elsewhere and some of
/// its users finish their visit first.
/// </param>
public sealed record CompareMode(StoreMode Store, FailoverMode Failover, bool Drain = false)
{
    /// <summary>The setups of the comparison, in the order they run (replicated with the default, sync replication).</summary>
    public static readonly IReadOnlyList<CompareMode> All =
    [
        new(StoreMode.Memory, FailoverMode.Redistribute),
        new(StoreMode.Memory, FailoverMode.Return503Error),
        new(StoreMode.Memory, FailoverMode.Redistribute, Drain: true),
        new(StoreMode.Redis, FailoverMode.Redistribute),
        new(StoreMode.Replicated, FailoverMode.Redistribute),
    ];

    public string StoreName => Store.ToString().ToLowerInvariant();

    public override string ToString() => $"{StoreName} + {Failover}{(Drain ? " + drain" : "")}";
}
