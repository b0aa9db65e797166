using System.Text.Json.Serialization;

namespace StickyLb.BackendApp.Endpoints;

/// <summary>What <c>GET /healthz</c> answers.</summary>
/// <param name="Status"><c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="Backend">The backend's id.</param>
/// <param name="Sessions">Sessions this backend holds: those it served within the idle timeout (in replicated mode, every session).</param>
/// <param name="Store">Where sessions live.</param>
/// <param name="Pid">This process's id, so a supervisor knows the answer came from the process it started.</param>
/// <param name="MemoryBytes">This process's resident memory, in bytes: what holding the sessions costs.</param>
/// <param name="Members">Replicated mode: the backends in the cluster as this one sees it (a killed one leaves it at once); left out in the other modes.</param>
internal sealed record HealthResponse(string Status, string Backend, int Sessions, string Store, int Pid, long MemoryBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Members = null);
