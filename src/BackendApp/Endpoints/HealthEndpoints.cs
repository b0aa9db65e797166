using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Endpoints;

/// <summary><c>GET /healthz</c>: the gateway's active health probe and the dashboard's session count.</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(HealthResponse.Path, GetHealthAsync);
        return app;
    }

    /// <summary>200 while the backend can serve; 503 while its session store cannot be reached (redis mode).</summary>
    public static async Task<JsonHttpResult<HealthResponse>> GetHealthAsync(
        ISessionCount sessions, IStoreHealth store, IOptions<BackendOptions> options, CancellationToken cancellationToken)
    {
        var healthy = await store.IsReachableAsync(cancellationToken);
        var report = new HealthResponse(healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy, options.Value.Id, await sessions.CountAsync(cancellationToken), options.Value.Store, Environment.ProcessId, Environment.WorkingSet, store.Members);
        return TypedResults.Json(report, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
