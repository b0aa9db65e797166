namespace StickyLb.Proxy.Backends;

/// <summary>Log messages of the backends feature (event ids 2000-2099).</summary>
internal static partial class BackendsLog
{
    [LoggerMessage(2001, LogLevel.Information, "Backend {Backend} started on {Address} (pid {Pid}).")]
    public static partial void BackendStarted(this ILogger logger, string backend, Uri address, int pid);

    [LoggerMessage(2002, LogLevel.Information, "Backend {Backend} (pid {Pid}) killed on request.")]
    public static partial void BackendKilled(this ILogger logger, string backend, int pid);

    [LoggerMessage(2003, LogLevel.Warning, "Backend {Backend} (pid {Pid}) exited unexpectedly with code {ExitCode}; it is out of rotation until started again.")]
    public static partial void BackendCrashed(this ILogger logger, string backend, int pid, int exitCode);

    [LoggerMessage(2004, LogLevel.Debug, "backend {Backend}: {Line}")]
    public static partial void BackendOutput(this ILogger logger, string backend, string line);

    [LoggerMessage(2005, LogLevel.Information, "Stopping {Count} backends.")]
    public static partial void StoppingBackends(this ILogger logger, int count);
}
