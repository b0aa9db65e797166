using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.LoadBalancing;

namespace StickyLb.Proxy.Placement;

/// <summary>Registers placement (<see cref="LeastSessionsPolicy"/> beside YARP's policies, slow start) and rebalancing.</summary>
internal static class PlacementServiceCollectionExtensions
{
    public static IServiceCollection AddPlacement(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SessionEstimates>();
        services.TryAddSingleton<ClientActivity>();
        services.TryAddSingleton(provider => new SlowStart(
            provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<GatewayOptions>>().Value.SlowStart)));
        services.TryAddSingleton(provider => new Rebalancer(
            provider.GetRequiredService<IOptions<GatewayOptions>>().Value.RebalanceFactor,
            provider.GetRequiredService<BackendRequestCounters>(),
            provider.GetRequiredService<DrainRegistry>(),
            provider.GetRequiredService<TimeProvider>()));
        // As YARP registers its own policies: selected by the cluster's LoadBalancingPolicy.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancingPolicy, LeastSessionsPolicy>());
        return services;
    }

    /// <summary>The cluster's policy from <c>--balance</c>, or the default for its affinity (<see cref="BalanceConfigFilter"/>).</summary>
    public static IReverseProxyBuilder AddBalanceFilter(this IReverseProxyBuilder proxy) => proxy.AddConfigFilter<BalanceConfigFilter>();

    /// <summary>The rebalance step (<see cref="RebalanceMiddleware"/>), right after session affinity.</summary>
    public static IReverseProxyApplicationBuilder UseRebalancing(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<RebalanceMiddleware>();
        return proxy;
    }
}
