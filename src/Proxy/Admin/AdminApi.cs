using Microsoft.AspNetCore.Http.HttpResults;
using StickyLb.Proxy.Metrics;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// The admin listener's endpoints (loopback by default; <see cref="AdminRequestGuard"/> checks every request): the
/// dashboard, <c>/metrics</c> and the admin API, one class per resource (<see cref="BackendsApi"/>,
/// <see cref="SettingsApi"/>, <see cref="StatsApi"/>, <see cref="StoreApi"/>, <see cref="SimulationApi"/>).
/// None of it exists on the gateway port.
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        // Errors on the admin port are problems too; they are handled here, on admin endpoints only,
        // so that the gateway's per-request path carries no error-handling middleware.
        var admin = app.MapGroup("").WithMetadata(ListenerMetadata.Admin).AddEndpointFilter<AdminErrorFilter>();
        admin.MapDashboard();
        // The instruments exist once created; the exporter reads them on each scrape.
        _ = app.ServiceProvider.GetRequiredService<GatewayMetrics>();
        admin.MapPrometheusScrapingEndpoint("/metrics");
        admin.MapFallback("{**path}", NotFound);

        admin.MapGroup("/api")
            .MapBackendsApi()
            .MapSettingsApi()
            .MapStatsApi()
            .MapStoreApi()
            .MapSimulationApi();
        return app;
    }

    /// <summary>Any other path on the admin port.</summary>
    public static ProblemHttpResult NotFound(HttpRequest request) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The admin API has no {request.Method} {request.Path}.");
}
