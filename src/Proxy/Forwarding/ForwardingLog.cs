using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>Log messages of the HTTP/1.1 forwarder (event ids 6000-6099).</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(6001, LogLevel.Debug, "Forwarding to {Destination} failed ({Error}).")]
    public static partial void ForwardingFailed(this ILogger logger, string destination, ForwarderError error, Exception exception);

    [LoggerMessage(6002, LogLevel.Debug, "A pooled connection to {Destination} was closed by the backend before it answered; sending again on a new connection.")]
    public static partial void RetryingOnNewConnection(this ILogger logger, string destination);
}
