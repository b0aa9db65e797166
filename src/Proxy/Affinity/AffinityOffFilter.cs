using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// <c>--affinity off</c>: turns YARP's session affinity off for the backends' cluster, whatever the
/// configuration says, so that every request is load balanced on its own and no <c>server</c> cookie is set.
/// </summary>
internal sealed class AffinityOffFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) =>
        ValueTask.FromResult(
            options.Value.IsAffinityOn || !string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase)
                ? cluster
                : cluster with { SessionAffinity = (cluster.SessionAffinity ?? new SessionAffinityConfig()) with { Enabled = false } });

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
