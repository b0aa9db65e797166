using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Whether a destination may take a request, from its own health flags. YARP sets those at once, but
/// rebuilds the cluster's list of available destinations later on the thread pool, so for a moment
/// after a backend fails the list still offers it; the flags are the truth.
/// </summary>
internal static class DestinationAvailability
{
    /// <summary>The availability policy that uses every destination when all are down.</summary>
    public const string PanicPolicy = "HealthyOrPanic";

    /// <summary>Not known to be down by either the active or the passive health check. O(1).</summary>
    public static bool IsUp(DestinationState destination)
    {
        var health = destination.Health;
        return health.Active != DestinationHealth.Unhealthy && health.Passive != DestinationHealth.Unhealthy;
    }

    /// <summary>
    /// Whether <paramref name="destination"/> may take a request: it is up, or the cluster panics
    /// (<see cref="PanicPolicy"/> with every destination down), as YARP's own policies decide.
    /// </summary>
    public static bool IsAvailable(DestinationState destination, ClusterState cluster) =>
        IsUp(destination) || IsPanicking(cluster);

    /// <summary>
    /// The destinations of <paramref name="available"/> that are up, for a request that must move: the
    /// list itself when none is known to be down (no allocation), else a filtered copy. A panicking
    /// cluster keeps its list.
    /// </summary>
    public static IReadOnlyList<DestinationState> WithoutDown(IReadOnlyList<DestinationState> available, ClusterState cluster)
    {
        var down = 0;
        for (var i = 0; i < available.Count; i++)
        {
            down += IsUp(available[i]) ? 0 : 1;
        }

        return down == 0 || down == available.Count && IsPanicking(cluster)
            ? available
            : [.. available.Where(IsUp)];
    }

    private static bool IsPanicking(ClusterState cluster)
    {
        if (!string.Equals(cluster.Model.Config.HealthCheck?.AvailableDestinationsPolicy, PanicPolicy, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var destination in cluster.DestinationsState.AllDestinations)
        {
            if (IsUp(destination))
            {
                return false;
            }
        }

        return true;
    }
}
