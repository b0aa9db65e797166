using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Replicated;

/// <summary>Registers what the gateway keeps for replicated mode: the backends' cluster ports and peers.</summary>
internal static class ReplicatedServiceCollectionExtensions
{
    public static IServiceCollection AddClusterPeers(this IServiceCollection services)
    {
        services.TryAddSingleton<ClusterPeers>();
        return services;
    }
}
