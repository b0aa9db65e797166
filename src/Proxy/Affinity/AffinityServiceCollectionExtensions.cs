using StickyLb.Proxy.Drain;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Proxy.Affinity;

/// <summary>Registers the <c>server=N</c> affinity policy, the live failover policy and their counters.</summary>
internal static class AffinityServiceCollectionExtensions
{
    public static IServiceCollection AddStickySessions(this IServiceCollection services)
    {
        services.AddSingleton<AffinityCounters>();
        services.AddSingleton<FailoverSwitch>();
        services.AddSingleton<ISessionAffinityPolicy, ServerCookiePolicy>();
        services.AddSingleton<IAffinityFailurePolicy, GatewayFailoverPolicy>();
        services.AddSingleton<InFlightFailover>();
        services.AddSingleton<DrainRegistry>();
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>
    /// The failover policy for a request whose backend dies with it in flight
    /// (<see cref="InFlightFailoverMiddleware"/>). Last in the proxy pipeline: it wraps YARP's forwarder.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseInFlightFailover(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<InFlightFailoverMiddleware>();
        return proxy;
    }
}
