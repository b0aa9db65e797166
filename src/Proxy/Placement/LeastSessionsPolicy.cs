using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// <c>LeastSessions</c>, a YARP load-balancing policy: a new session goes to the backend with the fewest live sessions
/// (<see cref="SessionEstimates"/>), ties broken round robin (three fresh clients land on 1, 2 and 3), with slow start:
/// a backend is ranked by (sessions + 1) / weight, HAProxy's <c>leastconn</c> rule, its weight ramping up after it came
/// up (<see cref="SlowStart"/>). With affinity YARP asks it only for a request that has no usable pin (a new client,
/// or one whose backend is down), so it places pins, never moves one.
/// </summary>
internal sealed class LeastSessionsPolicy(SessionEstimates sessions, SlowStart slowStart) : ILoadBalancingPolicy
{
    private int _next = -1;
    private volatile bool _sampling;

    public string Name => PlacementDefaults.LeastSessions;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var count = availableDestinations.Count;
        if (count == 0)
        {
            return null;
        }

        if (!_sampling)
        {
            // The backends' session counts are asked for from the first placement on.
            _sampling = true;
            sessions.Want();
        }

        slowStart.Observe(cluster);
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        DestinationState? best = null;
        var bestScore = double.MaxValue;
        for (var i = 0; i < count; i++)
        {
            var destination = availableDestinations[(start + i) % count];
            var score = (sessions.Estimate(destination.DestinationId) + 1) / slowStart.Weight(destination.DestinationId);
            if (score < bestScore)
            {
                (best, bestScore) = (destination, score);
            }
        }

        sessions.Pinned(best!.DestinationId);
        return best;
    }
}
