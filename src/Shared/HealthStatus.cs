namespace StickyLb.Shared;

/// <summary>
/// The words of health, as a backend's <c>/healthz</c> (<see cref="HealthResponse.Status"/>), the admin
/// API (<c>health</c> of <c>/api/backends</c>) and the dashboard say them, and the one rule that reads them.
/// Shared as source by the gateway and BackendApp.
/// </summary>
internal static class HealthStatus
{
    /// <summary>A backend that can serve; a destination a health check found up.</summary>
    public const string Healthy = "healthy";

    /// <summary>A backend whose store cannot be reached; a destination a health check found down.</summary>
    public const string Unhealthy = "unhealthy";

    /// <summary>The gateway's word for a destination no health check has judged yet.</summary>
    public const string Unknown = "unknown";

    /// <summary>
    /// Whether a backend with health <paramref name="status"/> counts as up: everything but
    /// <see cref="Unhealthy"/>, so that a destination not judged yet (<see cref="Unknown"/>) is asked
    /// for its sessions and counted as up in <c>stickylb_backend_healthy</c>, as YARP sends it requests.
    /// </summary>
    public static bool IsUp(string status) => !string.Equals(status, Unhealthy, StringComparison.Ordinal);
}
