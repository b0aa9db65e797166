using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The failover policy for a request that was on its way when its backend died: the connection was
/// refused, or it closed before a byte of the response came back. Such a request is pinned to a dead
/// backend like the ones after it, so it gets what they get (SPEC, Affinity): under
/// <see cref="FailoverMode.Redistribute"/> it goes to a healthy backend, which re-pins the client;
/// under <see cref="FailoverMode.Return503Error"/> a client pinned there gets the 503. A request is
/// only sent twice when the backend cannot have acted on it: it never left the gateway, or it has no
/// body and an idempotent method. Anything else keeps YARP's 502. <see cref="InFlightFailoverMiddleware"/>
/// asks, around YARP's forwarding step.
/// </summary>
internal sealed class InFlightFailover(
    FailoverSwitch failover,
    IDestinationHealthUpdater healthUpdater,
    AffinityCounters counters,
    RecentTraffic traffic,
    BackendRequestCounters requests,
    IEnumerable<ILoadBalancingPolicy> loadBalancingPolicies,
    DrainRegistry drain,
    IOptions<BackendFaultsPassivePolicyOptions> passiveHealth,
    ILogger<InFlightFailover> logger)
{
    private readonly FrozenDictionary<string, ILoadBalancingPolicy> _loadBalancingPolicies =
        loadBalancingPolicies.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToFrozenDictionary(g => g.Key, g => g.Last(), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Decides for a request whose destination (<see cref="IReverseProxyFeature.ProxiedDestination"/>)
    /// failed before answering; <paramref name="replayable"/> says whether the backend cannot have acted
    /// on it. On
    /// <see cref="InFlightOutcome.Resend"/> the failed backend is out of rotation and the request's
    /// destination is the one to send it to.
    /// </summary>
    public InFlightOutcome Decide(HttpContext context, IReverseProxyFeature proxy, bool replayable)
    {
        if (proxy.ProxiedDestination is not { } failed || proxy.Route.Cluster is not { } cluster)
        {
            return InFlightOutcome.Fail;
        }

        if (failover.Current == FailoverMode.Return503Error && ServerCookiePolicy.IsPinnedTo(context, cluster, failed))
        {
            counters.Unavailable();
            logger.PinnedBackendDown(failed.DestinationId);
            return InFlightOutcome.Reject;
        }

        if (!replayable || PickElsewhere(context, cluster, failed) is not { } next)
        {
            return InFlightOutcome.Fail;
        }

        // What the gateway's passive health does with a lost connection once the request is over, done
        // now, since it will only see the backend that answered: the failed one leaves rotation, and the
        // dashboard sees the failure the client does not.
        if (cluster.Model.Config.HealthCheck?.Passive is { Enabled: true, Policy: var policy }
            && string.Equals(policy, HealthDefaults.PassivePolicyName, StringComparison.OrdinalIgnoreCase))
        {
            BackendFaultsPassivePolicy.TakeOutOfRotation(healthUpdater, logger, cluster, failed, ForwarderError.Request, passiveHealth.Value.ReactivationPeriod);
        }

        traffic.Record(failed.DestinationId, TrafficOutcome.Failed);
        requests.Increment(next.DestinationId);
        logger.ResentElsewhere(failed.DestinationId, next.DestinationId);
        proxy.ProxiedDestination = next;
        return InFlightOutcome.Resend;
    }

    /// <summary>Whether a method may be sent twice with the same effect as once (RFC 9110, 9.2.2).</summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    /// <summary>A healthy destination other than <paramref name="failed"/> that takes new clients (not draining), chosen by the cluster's load balancing policy.</summary>
    private DestinationState? PickElsewhere(HttpContext context, ClusterState cluster, DestinationState failed)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        var candidates = new List<DestinationState>(available.Count);
        foreach (var destination in available)
        {
            if (!ReferenceEquals(destination, failed) && DestinationAvailability.IsUp(destination) && !drain.IsDraining(destination.DestinationId))
            {
                candidates.Add(destination);
            }
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        var name = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        return _loadBalancingPolicies.TryGetValue(name, out var policy)
            ? policy.PickDestination(context, cluster, candidates)
            : candidates[0];
    }
}
