using System.Text.Json.Serialization;

namespace StickyLb.Shared;

/// <summary>
/// What a backend's <c>GET /healthz</c> answers: BackendApp writes it, the gateway reads it (readiness,
/// the admin API's session counts, compare's memory). Shared as source by the gateway and BackendApp,
/// so the two cannot disagree on a field.
/// </summary>
/// <param name="Status"><see cref="HealthStatus.Healthy"/> or <see cref="HealthStatus.Unhealthy"/>.</param>
/// <param name="Backend">The backend's id.</param>
/// <param name="Sessions">Sessions this backend holds: those it served within the idle timeout (in replicated mode, every session).</param>
/// <param name="Store">Where sessions live: one of <see cref="StoreModeNames"/>.</param>
/// <param name="Pid">The backend's process id, so a supervisor knows the answer came from the process it started.</param>
/// <param name="MemoryBytes">The backend's resident memory, in bytes: what holding the sessions costs.</param>
/// <param name="Members">Replicated mode: the backends in the cluster as this one sees it (a killed one leaves it at once); left out in the other modes.</param>
internal sealed record HealthResponse(string Status, string Backend, int Sessions, string Store, int Pid, long MemoryBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Members = null)
{
    /// <summary>The path BackendApp answers it on, and the gateway's active probe's default when it spawns the backends.</summary>
    public const string Path = "/healthz";
}
