namespace StickyLb.BackendApp.Replicated;

/// <summary>Replicated mode's log messages (event ids 4300-4399).</summary>
internal static partial class ReplicatedLog
{
    [LoggerMessage(4301, LogLevel.Information, "Joined the cluster as {Address}; {Nodes} node(s) replicate the sessions.")]
    public static partial void Joined(this ILogger logger, string address, int nodes);

    [LoggerMessage(4302, LogLevel.Information, "Ready: {Sessions} session(s) pulled from a majority of the nodes in {ElapsedMs} ms.")]
    public static partial void Ready(this ILogger logger, int sessions, long elapsedMs);

    [LoggerMessage(4303, LogLevel.Debug, "Getting ready failed ({Reason}); trying again.")]
    public static partial void WarmupRetry(this ILogger logger, string reason);

    [LoggerMessage(4304, LogLevel.Warning, "A Data Protection key was stored here but not acknowledged by a majority; it spreads by gossip.")]
    public static partial void KeyNotAcknowledged(this ILogger logger, Exception exception);

    [LoggerMessage(4305, LogLevel.Debug, "Removed {Count} expired session(s).")]
    public static partial void Swept(this ILogger logger, int count);

    [LoggerMessage(4306, LogLevel.Warning, "Removing expired sessions failed; trying again later.")]
    public static partial void SweepFailed(this ILogger logger, Exception exception);

    [LoggerMessage(4307, LogLevel.Information, "The backend at {Address} is gone (its cluster port refuses connections): marked down, so that no write waits for it.")]
    public static partial void PeerGone(this ILogger logger, string address);

    [LoggerMessage(4308, LogLevel.Warning, "The backend at {Address} refuses connections, but this node reaches only {Reachable} of the {Members} members: not marked down here (the split-brain resolver decides).")]
    public static partial void PeerGoneButNoMajority(this ILogger logger, string address, int reachable, int members);
}
