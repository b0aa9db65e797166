using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Backends;

/// <summary>Registers the backend supervisor and the per-backend request counters.</summary>
internal static class BackendsServiceCollectionExtensions
{
    public static IServiceCollection AddBackendSupervisor(this IServiceCollection services)
    {
        services.TryAddSingleton<BackendProbe>();
        services.TryAddSingleton<BackendRequestCounters>();
        services.TryAddSingleton<BackendSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<BackendSupervisor>());
        return services;
    }

    /// <summary>A proxy pipeline step, after load balancing: counts the request for the one destination chosen (<see cref="BackendRequestCountingMiddleware"/>).</summary>
    public static IReverseProxyApplicationBuilder UseBackendRequestCounting(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<BackendRequestCountingMiddleware>();
        return proxy;
    }
}
