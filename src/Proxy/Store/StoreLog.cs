namespace StickyLb.Proxy.Store;

/// <summary>Log messages of the store feature (event ids 2500-2599).</summary>
internal static partial class StoreLog
{
    [LoggerMessage(2501, LogLevel.Information, "Started {Kind} on {Endpoint} (pid {Pid}) as the shared session store, with its append-only file in {DataDirectory}.")]
    public static partial void EmbeddedStoreStarted(this ILogger logger, string kind, string endpoint, int pid, string dataDirectory);

    [LoggerMessage(2502, LogLevel.Warning, "The embedded store {Kind} (pid {Pid}) exited with code {ExitCode}; sessions are unavailable until it is back. Starting it again in {Delay}.")]
    public static partial void EmbeddedStoreExited(this ILogger logger, string kind, int pid, int exitCode, TimeSpan delay);

    [LoggerMessage(2504, LogLevel.Warning, "Started {Kind} again on {Endpoint} (pid {Pid}) from its append-only file in {DataDirectory}: the sessions it held are back, all but changes of its last second.")]
    public static partial void EmbeddedStoreRestarted(this ILogger logger, string kind, string endpoint, int pid, string dataDirectory);

    [LoggerMessage(2506, LogLevel.Warning, "The embedded store's data directory {DataDirectory} could not be removed: {Reason}")]
    public static partial void DataDirectoryNotRemoved(this ILogger logger, string dataDirectory, string reason);

    [LoggerMessage(2505, LogLevel.Warning, "The embedded store {Kind} could not be started again: {Reason} Trying again in {Delay}.")]
    public static partial void EmbeddedStoreRestartFailed(this ILogger logger, string kind, string reason, TimeSpan delay);

    [LoggerMessage(2503, LogLevel.Debug, "store: {Line}")]
    public static partial void StoreOutput(this ILogger logger, string line);
}
