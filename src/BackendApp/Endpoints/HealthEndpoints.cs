using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Endpoints;

/// <summary><c>GET /healthz</c>: the gateway's active health probe and the dashboard's session count.</summary>
internal static class HealthEndpoints
{
    /// <summary>The health endpoint's path; requests to it bypass the session middleware.</summary>
    public const string Path = "/healthz";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, GetHealth);
        return app;
    }

    public static Ok<HealthResponse> GetHealth(SessionTracker tracker, IOptions<BackendOptions> options) =>
        TypedResults.Ok(new HealthResponse("healthy", options.Value.Id, tracker.Count, options.Value.Store, Environment.ProcessId));
}
