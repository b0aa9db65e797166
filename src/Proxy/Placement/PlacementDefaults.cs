namespace StickyLb.Proxy.Placement;

/// <summary>Names and figures of placement (where a new pin goes) and rebalancing, in one place.</summary>
internal static class PlacementDefaults
{
    /// <summary>The policy that places a new pin on the backend with the fewest live sessions: the default with affinity.</summary>
    public const string LeastSessions = "LeastSessions";

    /// <summary>YARP's round robin: the default without affinity, where every request is placed on its own.</summary>
    public const string RoundRobin = "RoundRobin";

    /// <summary>Every policy <c>--balance</c> takes: ours, then YARP's own (<c>Yarp.ReverseProxy.LoadBalancing.LoadBalancingPolicies</c>).</summary>
    public static readonly IReadOnlyList<string> Policies = [LeastSessions, RoundRobin, "PowerOfTwoChoices", "LeastRequests", "Random", "First"];

    /// <summary>The default slow start, in seconds.</summary>
    public const double SlowStartSeconds = 10;

    /// <summary>
    /// The share of its full weight a backend has the moment it comes up, as HAProxy's slow start starts above zero: with
    /// <see cref="LeastSessionsPolicy"/>'s (sessions + 1) / weight, a backend just up loses to one holding up to 19 sessions.
    /// </summary>
    public const double MinSlowStartWeight = 0.05;

    /// <summary>The value of <c>--rebalance</c> that turns rebalancing off (the default).</summary>
    public const string RebalanceOff = "off";
}
