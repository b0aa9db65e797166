using StickyLb.Proxy.Backends;

namespace StickyLb.Proxy.Admin;

/// <summary>A backend the admin API describes: one the gateway spawned, or a destination of its configuration.</summary>
/// <param name="Id">The destination id.</param>
/// <param name="Address">Where it listens.</param>
/// <param name="State">The spawned process's state; null for a destination this gateway does not run.</param>
/// <param name="Pid">The spawned process's id while it runs; else null.</param>
internal sealed record KnownBackend(string Id, Uri Address, BackendState? State, int? Pid)
{
    /// <summary>A backend the gateway spawned, as its process is now.</summary>
    public static KnownBackend Of(BackendProcess process) => new(process.Id, process.Address, process.State, process.Pid);
}
