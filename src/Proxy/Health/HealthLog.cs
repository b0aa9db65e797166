using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Health;

/// <summary>Log messages of the health feature (event ids 1500-1599).</summary>
internal static partial class HealthLog
{
    [LoggerMessage(1501, LogLevel.Warning, "Backend {Backend} failed a proxied request ({Error}); out of rotation for {Period}.")]
    public static partial void PassiveFailure(this ILogger logger, string backend, ForwarderError error, TimeSpan period);

    [LoggerMessage(1502, LogLevel.Warning, "Backend {Backend} answered {Failures} of its last {Total} requests badly within {Window}.")]
    public static partial void FailureRateExceeded(this ILogger logger, string backend, int failures, int total, TimeSpan window);

    [LoggerMessage(1503, LogLevel.Warning, "backend {Backend}: GET {Path} answered {Status}; " + ProbeOutcome.WrongPathHint + ".")]
    public static partial void ProbeAnsweredWrongPath(this ILogger logger, string backend, string path, int status);

    [LoggerMessage(1504, LogLevel.Warning, "backend {Backend}: GET {Path} answered {Status}: the app says it cannot serve ({Address}); out of rotation until it answers 2xx or 3xx.")]
    public static partial void ProbeAnsweredNotServing(this ILogger logger, string backend, string path, int status, string address);

    [LoggerMessage(1505, LogLevel.Warning, "backend {Backend}: {Outcome} ({Address}); out of rotation until it answers.")]
    public static partial void ProbeFailed(this ILogger logger, string backend, string outcome, string address);

    [LoggerMessage(1506, LogLevel.Information, "backend {Backend}: GET {Path} answers {Status} again; back in rotation.")]
    public static partial void ProbeAnswersAgain(this ILogger logger, string backend, string path, int status);

    [LoggerMessage(1507, LogLevel.Warning, "Cluster {Cluster}: metadata {Key} '{Value}' ignored, expected {Expected}; the gateway's Gateway:PassiveHealth value applies.")]
    public static partial void InvalidPassiveHealthMetadata(this ILogger logger, string cluster, string key, string value, string expected);
}
