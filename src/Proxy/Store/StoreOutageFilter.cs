using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Store;

/// <summary>
/// Redis mode: a store outage makes every backend's <c>/healthz</c> answer 503, so every destination
/// turns unhealthy at once. With YARP's <c>HealthyOrPanic</c> availability, requests then still reach
/// the backends, which answer each one with their own 503 problem naming the store, instead of the
/// proxy's empty 503. Memory mode keeps the configured policy.
/// </summary>
internal sealed class StoreOutageFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (options.Value.Store != StoreMode.Redis || !string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(cluster);
        }

        var health = cluster.HealthCheck ?? new HealthCheckConfig();
        return ValueTask.FromResult(cluster with { HealthCheck = health with { AvailableDestinationsPolicy = Health.DestinationAvailability.PanicPolicy } });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
