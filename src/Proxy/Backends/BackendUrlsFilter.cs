using System.Globalization;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// <c>--spawn false --backend URL ...</c>: the <c>backends</c> cluster's destinations are "1".."N" at those URLs, in
/// the order given, whatever the <c>Destinations</c> of the configuration say; the rest of the <c>ReverseProxy</c>
/// section (health checks, affinity, timeouts, each id's metadata such as a drain) still applies. Without
/// <c>--backend</c> the configuration's destinations are used as they are. Spawning has its own filter
/// (<see cref="SpawnedDestinationsFilter"/>); the validator refuses <c>--backend</c> with spawning on.
/// </summary>
internal sealed class BackendUrlsFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        var gateway = options.Value;
        if (gateway.Spawn || gateway.Backend.Count == 0
            || !string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(cluster);
        }

        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < gateway.Backend.Count; i++)
        {
            var id = (i + 1).ToString(CultureInfo.InvariantCulture);
            destinations[id] = new DestinationConfig
            {
                Address = gateway.Backend[i],
                Metadata = cluster.Destinations?.GetValueOrDefault(id)?.Metadata,
            };
        }

        return ValueTask.FromResult(cluster with { Destinations = destinations });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
