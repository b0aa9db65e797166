namespace StickyLb.Proxy.Backends;

/// <summary>What a backend's <c>/healthz</c> answers.</summary>
public sealed record BackendHealthReport(string Status, string Backend, int Sessions, string Store, int Pid);
