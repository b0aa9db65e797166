namespace StickyLb.Proxy.Backends;

/// <summary>The life of a backend process as the supervisor sees it.</summary>
internal enum BackendState
{
    /// <summary>No process: never started, killed, or crashed.</summary>
    Stopped,

    /// <summary>The process was started and has not yet answered its readiness probe.</summary>
    Starting,

    /// <summary>The process answered its readiness probe.</summary>
    Running,
}
