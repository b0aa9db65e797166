namespace StickyLb.Proxy.Backends;

/// <summary>The outcome of a kill or start asked through the admin API.</summary>
internal enum BackendCommandResult
{
    /// <summary>Done.</summary>
    Done,

    /// <summary>No backend has that id.</summary>
    NotFound,

    /// <summary>The backend is already in the state asked for.</summary>
    AlreadyInState,

    /// <summary>The gateway runs with <c>--spawn false</c>: it has no processes to kill or start.</summary>
    NotSupervised,

    /// <summary>The process was started but did not become ready.</summary>
    Failed,
}
