namespace StickyLb.Proxy.Live;

/// <summary>Log events of live connections: 5000s.</summary>
internal static partial class LiveLog
{
    [LoggerMessage(5001, LogLevel.Debug, "Live connection ({Kind}) opened through the gateway to backend {DestinationId}.")]
    public static partial void LiveConnectionOpened(this ILogger logger, LiveConnectionKind kind, string destinationId);

    [LoggerMessage(5002, LogLevel.Debug, "Live connection ({Kind}) to backend {DestinationId} closed after {Seconds:0.0} s.")]
    public static partial void LiveConnectionClosed(this ILogger logger, LiveConnectionKind kind, string destinationId, double seconds);
}
