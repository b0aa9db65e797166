using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Simulation;

/// <summary>Registers the dashboard's simulated users.</summary>
internal static class SimulationServiceCollectionExtensions
{
    public static IServiceCollection AddUserSimulation(this IServiceCollection services)
    {
        services.TryAddSingleton<UserSimulation>();
        return services;
    }
}
