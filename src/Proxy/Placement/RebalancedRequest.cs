namespace StickyLb.Proxy.Placement;

/// <summary>
/// Marks a request that <see cref="RebalanceMiddleware"/> moved off its pinned backend, so that the affinity policy,
/// re-pinning it on the way back, counts it as rebalanced rather than as a re-pin after a failure.
/// </summary>
internal sealed class RebalancedRequest
{
    public static readonly RebalancedRequest Instance = new();

    private RebalancedRequest()
    {
    }

    /// <summary>Whether <paramref name="context"/>'s request was moved by rebalancing.</summary>
    public static bool Is(HttpContext context) => context.Features.Get<RebalancedRequest>() is not null;

    public static void Mark(HttpContext context) => context.Features.Set(Instance);
}
