using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Drain;

/// <summary>
/// Reads which backends the configuration drains (<c>"Metadata": { "Drain": "true" }</c> on a destination of
/// the <c>backends</c> cluster) each time YARP loads it, so that an edited <c>appsettings.json</c> drains or
/// readies a backend on every gateway that reads it.
/// </summary>
internal sealed class DrainConfigFilter(DrainRegistry registry) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            registry.SetConfigured([.. (cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
                .Where(d => d.Value.Metadata?.TryGetValue(DrainRegistry.MetadataKey, out var drain) == true
                    && bool.TryParse(drain, out var yes) && yes)
                .Select(d => d.Key)]);
        }

        return ValueTask.FromResult(cluster);
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
