namespace StickyLb.Proxy.Backends;

/// <summary>What a backend's <c>/healthz</c> answers.</summary>
/// <param name="MemoryBytes">The backend process's resident memory, in bytes.</param>
internal sealed record BackendHealthReport(string Status, string Backend, int Sessions, string Store, int Pid, long MemoryBytes);
