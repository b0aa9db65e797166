namespace StickyLb.BackendApp.Endpoints;

/// <summary>What <c>GET /healthz</c> answers.</summary>
/// <param name="Status"><c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="Backend">The backend's id.</param>
/// <param name="Sessions">Sessions this backend served within the idle timeout.</param>
/// <param name="Store">Where sessions live.</param>
/// <param name="Pid">This process's id, so a supervisor knows the answer came from the process it started.</param>
public sealed record HealthResponse(string Status, string Backend, int Sessions, string Store, int Pid);
