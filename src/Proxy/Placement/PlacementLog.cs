namespace StickyLb.Proxy.Placement;

/// <summary>Log messages of placement and rebalancing (event ids 1100-1199).</summary>
internal static partial class PlacementLog
{
    [LoggerMessage(1101, LogLevel.Debug, "Backend {From} is over the rebalance bound: a client pinned to it is re-pinned to backend {To}.")]
    public static partial void Rebalanced(this ILogger logger, string from, string to);
}
