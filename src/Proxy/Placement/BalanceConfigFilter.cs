using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// Sets the backends cluster's <c>LoadBalancingPolicy</c>, which YARP selects its policy by: <c>--balance</c>
/// (<c>Gateway:Balance</c>) when given, else the cluster's own setting, else <see cref="PlacementDefaults.LeastSessions"/>
/// with affinity (it places new pins) and YARP's <see cref="PlacementDefaults.RoundRobin"/> without (every request is
/// placed on its own). Runs after <see cref="Affinity.AffinityOffFilter"/>, so it sees whether affinity is on.
/// </summary>
internal sealed class BalanceConfigFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (!string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(cluster);
        }

        var policy = options.Value.Balance?.Trim() is { Length: > 0 } balance ? balance
            : !string.IsNullOrEmpty(cluster.LoadBalancingPolicy) ? cluster.LoadBalancingPolicy
            : cluster.SessionAffinity is { Enabled: true } ? PlacementDefaults.LeastSessions
            : PlacementDefaults.RoundRobin;
        return ValueTask.FromResult(cluster with { LoadBalancingPolicy = policy });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
