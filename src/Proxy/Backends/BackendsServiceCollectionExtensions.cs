using StickyLb.Proxy.Replicated;
using StickyLb.Proxy.Store;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Backends;

/// <summary>Registers the backend supervisor and the per-backend request counters.</summary>
internal static class BackendsServiceCollectionExtensions
{
    public static IServiceCollection AddBackendSupervisor(this IServiceCollection services)
    {
        // The store starts before the backends, which connect to it at start-up.
        services.AddSingleton<StoreSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<StoreSupervisor>());
        services.AddSingleton<BackendProbe>();
        services.AddSingleton<ClusterPeers>();
        services.AddSingleton<BackendRequestCounters>();
        services.AddSingleton<BackendSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<BackendSupervisor>());
        return services;
    }

    /// <summary>
    /// A proxy pipeline step, after load balancing: counts the request for the one destination
    /// chosen. Its cost per request is one dictionary lookup and one interlocked increment.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseBackendRequestCounting(this IReverseProxyApplicationBuilder proxy)
    {
        var counters = proxy.ApplicationServices.GetRequiredService<BackendRequestCounters>();
        // The RequestDelegate overload: the Func<Task> one would allocate a closure per request.
        proxy.Use((HttpContext context, RequestDelegate next) =>
        {
            var destinations = context.GetReverseProxyFeature().AvailableDestinations;
            if (destinations.Count == 1)
            {
                counters.Increment(destinations[0].DestinationId);
            }

            return next(context);
        });
        return proxy;
    }
}
