using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Health;

/// <summary>Log messages of the health feature (event ids 1500-1599).</summary>
internal static partial class HealthLog
{
    [LoggerMessage(1501, LogLevel.Warning, "Backend {Backend} failed a proxied request ({Error}); out of rotation for {Period}.")]
    public static partial void PassiveFailure(this ILogger logger, string backend, ForwarderError error, TimeSpan period);

    [LoggerMessage(1502, LogLevel.Warning, "Backend {Backend} answered {Failures} of its last {Total} requests badly within {Window}.")]
    public static partial void FailureRateExceeded(this ILogger logger, string backend, int failures, int total, TimeSpan window);
}
