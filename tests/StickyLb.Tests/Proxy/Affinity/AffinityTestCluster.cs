using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Affinity;

/// <summary>A YARP cluster state with destinations "1".."N", for policy unit tests.</summary>
internal static class AffinityTestCluster
{
    public static readonly SessionAffinityConfig Config = new()
    {
        Enabled = true,
        Policy = "ServerCookie",
        FailurePolicy = "GatewayFailover",
        AffinityKeyName = "server",
        Cookie = new SessionAffinityCookieConfig { Path = "/", HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax },
    };

    /// <summary>A cluster of <paramref name="count"/> destinations; <paramref name="down"/> are unhealthy and not available.</summary>
    public static ClusterState Create(int count, params string[] down) => Create(count, "HealthyAndUnknown", down);

    /// <summary>The same, with YARP's availability policy <paramref name="availablePolicy"/>.</summary>
    public static ClusterState Create(int count, string availablePolicy, params string[] down)
    {
        var config = new ClusterConfig
        {
            ClusterId = "backends",
            SessionAffinity = Config,
            HealthCheck = new HealthCheckConfig { AvailableDestinationsPolicy = availablePolicy },
        };
        var model = new ClusterModel(config, new HttpMessageInvoker(new HttpClientHandler()));
        var cluster = new ClusterState("backends", model);
        for (var i = 1; i <= count; i++)
        {
            var destination = new DestinationState(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (down.Contains(destination.DestinationId))
            {
                destination.Health.Active = DestinationHealth.Unhealthy;
            }

            cluster.Destinations[destination.DestinationId] = destination;
        }

        var all = cluster.Destinations.Values.OrderBy(d => d.DestinationId).ToList();
        cluster.DestinationsState = new ClusterDestinationsState(all, [.. all.Where(d => !down.Contains(d.DestinationId))]);
        return cluster;
    }
}
