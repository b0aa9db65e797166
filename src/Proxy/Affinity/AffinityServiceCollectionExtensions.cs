using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Proxy.Affinity;

/// <summary>Registers the <c>server=N</c> affinity policy, the live failover policy and their counters.</summary>
internal static class AffinityServiceCollectionExtensions
{
    public static IServiceCollection AddStickySessions(this IServiceCollection services)
    {
        services.TryAddSingleton<AffinityCounters>();
        services.TryAddSingleton<FailoverSwitch>();
        services.TryAddSingleton<PinLifetime>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISessionAffinityPolicy, ServerCookiePolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAffinityFailurePolicy, GatewayFailoverPolicy>());
        services.TryAddSingleton<InFlightFailover>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>
    /// The failover policy for a request whose backend dies with it in flight
    /// (<see cref="InFlightFailoverMiddleware"/>). First in the proxy pipeline: it runs the other steps again.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseInFlightFailover(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<InFlightFailoverMiddleware>();
        return proxy;
    }
}
