using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Proxy.Health;

/// <summary>
/// The active probe's path for the <c>backends</c> cluster, so that YARP's own prober asks what the backends
/// answer: <c>--health-path</c> when given (<c>none</c> turns active probes off, leaving passive health);
/// else the <c>ReverseProxy</c> section's <c>HealthCheck:Active:Path</c> when it names one; else
/// <see cref="StickyLb.Shared.HealthResponse.Path"/> for the spawned BackendApp and <see cref="HealthDefaults.OwnAppHealthPath"/>
/// with <c>--spawn false</c>, since most apps have no <c>/healthz</c> and a 404 there took every backend out.
/// </summary>
internal sealed class HealthPathFilter(IOptions<GatewayOptions> options) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (!string.Equals(cluster.ClusterId, GatewayOptions.ClusterId, StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult(cluster);
        }

        var health = cluster.HealthCheck ?? new HealthCheckConfig();
        var active = health.Active ?? new ActiveHealthCheckConfig();
        var path = options.Value.HealthPath;
        active = path is null ? active with { Path = string.IsNullOrEmpty(active.Path) ? HealthDefaults.DefaultHealthPath(options.Value.Spawn) : active.Path }
            : HealthDefaults.IsNone(path) ? active with { Enabled = false }
            : active with { Enabled = true, Path = path };
        return ValueTask.FromResult(cluster with { HealthCheck = health with { Active = active } });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
