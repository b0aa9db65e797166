using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>Registers the health policies (passive: only a backend's own faults; active: failed probes since the backend came up) and the supervisor's health signal.</summary>
internal static class HealthServiceCollectionExtensions
{
    public static IServiceCollection AddHealthSignals(this IServiceCollection services)
    {
        services.AddOptions<BackendFaultsPassivePolicyOptions>()
            .BindConfiguration(BackendFaultsPassivePolicyOptions.Section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackendFaultsPassivePolicyOptions>, BackendFaultsPassivePolicyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPassiveHealthCheckPolicy, BackendFaultsPassivePolicy>());
        services.TryAddSingleton<ProbeOutcomes>();
        services.TryAddSingleton<ConsecutiveFailuresSinceStartPolicy>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IActiveHealthCheckPolicy, ConsecutiveFailuresSinceStartPolicy>(provider => provider.GetRequiredService<ConsecutiveFailuresSinceStartPolicy>()));
        services.TryAddSingleton<DestinationHealthSignal>();
        services.TryAddSingleton<RecentTraffic>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>503 problem+json saying why, when load balancing left no backend (<see cref="NoBackendAvailableMiddleware"/>).</summary>
    public static IReverseProxyApplicationBuilder UseNoBackendAvailableAnswer(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<NoBackendAvailableMiddleware>();
        return proxy;
    }
}
