using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// YARP's two affinity failure policies behind one switch that can be flipped live:
/// <see cref="FailoverMode.Redistribute"/> lets the load balancer pick a healthy backend (and the
/// affinity policy re-pins the client); <see cref="FailoverMode.Return503Error"/> answers a 503
/// problem that names the backend that is down, with <c>Retry-After</c>.
/// </summary>
internal sealed class GatewayFailoverPolicy(FailoverSwitch failover, AffinityCounters counters, RecentTraffic traffic, ILogger<GatewayFailoverPolicy> logger)
    : IAffinityFailurePolicy
{
    private static readonly Task<bool> KeepProcessing = Task.FromResult(true);

    public string Name => AffinityDefaults.FailurePolicyName;

    public Task<bool> Handle(HttpContext context, ClusterState cluster, AffinityStatus affinityStatus)
    {
        switch (failover.Current)
        {
            case FailoverMode.Redistribute:
                // The load balancer picks from the cluster's list, which may still offer the backend
                // that just failed: leave it out.
                var proxy = context.GetReverseProxyFeature();
                proxy.AvailableDestinations = DestinationAvailability.WithoutDown(proxy.AvailableDestinations, cluster);
                return KeepProcessing;
            case FailoverMode.Return503Error:
                return RejectAsync(context, cluster);
            default:
                throw new NotSupportedException($"Unknown failover mode {failover.Current}.");
        }
    }

    private async Task<bool> RejectAsync(HttpContext context, ClusterState cluster)
    {
        var affinity = cluster.Model.Config.SessionAffinity;
        var backend = affinity is not null
            && PinLifetime.ReadKnown(context, ServerCookiePolicy.CookieName(affinity), out var id) == ServerCookieStatus.WellFormed
            ? id.ToString()
            : "?";

        counters.Unavailable();
        traffic.Record(backend, TrafficOutcome.Rejected);
        logger.PinnedBackendDown(backend);
        await BackendUnavailableResponse.WriteAsync(context, backend);
        return false;
    }
}
