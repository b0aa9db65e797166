using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Affinity;

/// <summary>Log messages of the affinity feature (event ids 1000-1099).</summary>
internal static partial class AffinityLog
{
    [LoggerMessage(1001, LogLevel.Debug, "Ignored a {Status} affinity cookie; the client is pinned anew.")]
    public static partial void IgnoredCookie(this ILogger logger, ServerCookieStatus status);

    [LoggerMessage(1002, LogLevel.Debug, "Client pinned to backend {Previous}, which is down, re-pinned to backend {Current}.")]
    public static partial void RePinned(this ILogger logger, string previous, string current);

    [LoggerMessage(1003, LogLevel.Debug, "Client pinned to backend {Backend}, which is down, answered 503.")]
    public static partial void PinnedBackendDown(this ILogger logger, string backend);

    [LoggerMessage(1004, LogLevel.Information, "Failover policy changed from {Previous} to {Current}.")]
    public static partial void FailoverChanged(this ILogger logger, FailoverMode previous, FailoverMode current);

    [LoggerMessage(1005, LogLevel.Debug, "Backend {Failed} failed before answering a request; it goes through the proxy pipeline again without that backend.")]
    public static partial void SentAgain(this ILogger logger, string failed);

    [LoggerMessage(1006, LogLevel.Warning, "Affinity is off in memory mode: every request goes to any backend, and a user whose request lands on another backend than the one holding the session looks logged out. This is the problem sticky sessions solve; use --affinity on, or --store redis or replicated.")]
    public static partial void AffinityOffInMemory(this ILogger logger);

    // Pin lifetimes take 1050-1059, apart from the ids other affinity work may add after 1006.
    [LoggerMessage(1050, LogLevel.Debug, "The pin to backend {Backend} expired (--pin-max-idle or --pin-max-life); the client is placed afresh.")]
    public static partial void PinExpired(this ILogger logger, string backend);

    [LoggerMessage(1051, LogLevel.Warning, "--pin-max-idle {PinMaxIdle} is shorter than the backends' session idle timeout ({SessionIdle} s, --idle-timeout) in memory mode: a user back after {PinMaxIdle} s still has a session, and loses it when the pin is placed on another backend. A pin idle limit of at least the session's loses nothing.")]
    public static partial void PinIdleBelowSessionIdle(this ILogger logger, int pinMaxIdle, int sessionIdle);
}
