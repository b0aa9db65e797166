using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Compare;

/// <summary>One of the setups the comparison runs.</summary>
public sealed record CompareMode(StoreMode Store, FailoverMode Failover)
{
    /// <summary>The setups of the comparison, in the order they run (replicated with the default, sync replication).</summary>
    public static readonly IReadOnlyList<CompareMode> All =
    [
        new(StoreMode.Memory, FailoverMode.Redistribute),
        new(StoreMode.Memory, FailoverMode.Return503Error),
        new(StoreMode.Redis, FailoverMode.Redistribute),
        new(StoreMode.Replicated, FailoverMode.Redistribute),
    ];

    public string StoreName => Store.ToString().ToLowerInvariant();

    public override string ToString() => $"{StoreName} + {Failover}";
}
