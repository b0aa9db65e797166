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
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
