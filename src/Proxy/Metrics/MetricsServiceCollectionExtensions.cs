using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace StickyLb.Proxy.Metrics;

/// <summary>
/// <c>GET /metrics</c> on the admin port, in Prometheus text: the <see cref="GatewayMetrics.MeterName"/> Meter
/// through OpenTelemetry's Prometheus exporter (the vendor-neutral pipeline: the same instruments can go to an
/// OTLP collector by adding an exporter, and dotnet-counters reads the Meter directly).
/// </summary>
internal static class MetricsServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.TryAddSingleton<BackendSessionsSampler>();
        services.AddHostedService(provider => provider.GetRequiredService<BackendSessionsSampler>());
        services.TryAddSingleton<GatewayMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            .AddPrometheusExporter());
        return services;
    }
}
