using Yarp.ReverseProxy.Health;

namespace StickyLb.Proxy.Health;

/// <summary>Registers the passive health policy that blames only a backend's own faults and the supervisor's health signal.</summary>
internal static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddHealthSignals(this IServiceCollection services)
    {
        services.AddSingleton<IPassiveHealthCheckPolicy, BackendFaultsPassivePolicy>();
        services.AddSingleton<DestinationHealthSignal>();
        services.AddSingleton<RecentTraffic>();
        return services;
    }
}
