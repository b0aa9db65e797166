using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// When the gateway spawns its backends, the <c>backends</c> cluster's destinations are exactly the
/// spawned processes: "1".."N" on 127.0.0.1 from <c>--backend-port</c> on, whatever the
/// <c>Destinations</c> of the configuration say. With <c>--spawn false</c> the configuration is used as it is.
/// </summary>
internal sealed class SpawnedDestinationsFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var gateway = options.Value;
        if (!gateway.Spawn || !string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(cluster);
        }

        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i <= gateway.Backends; i++)
        {
            var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            destinations[id] = new DestinationConfig
            {
                Address = gateway.BackendAddress(i).ToString(),
                // The configuration's metadata for that id still applies (a drain, say).
                Metadata = cluster.Destinations?.GetValueOrDefault(id)?.Metadata,
            };
        }

        return ValueTask.FromResult(cluster with { Destinations = destinations });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
