using Yarp.ReverseProxy.Health;

namespace StickyLb.Proxy.Health;

/// <summary>Registers the first-failure passive health policy and the supervisor's health signal.</summary>
internal static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddHealthSignals(this IServiceCollection services)
    {
        services.AddSingleton<IPassiveHealthCheckPolicy, FirstFailurePassivePolicy>();
        services.AddSingleton<DestinationHealthSignal>();
        services.AddSingleton<RecentTraffic>();
        return services;
    }
}
