using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Placement;
using StickyLb.Shared;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Tells YARP what the supervisor knows for certain: a backend whose process is gone is down now,
/// not at the next probe; a backend that just answered its readiness probe is up now.
/// </summary>
internal sealed class DestinationHealthSignal(
    IProxyStateLookup proxyState, IDestinationHealthUpdater healthUpdater, ConsecutiveFailuresSinceStartPolicy activePolicy, ProbeOutcomes probes, SlowStart slowStart)
{
    /// <summary>Takes destination <paramref name="id"/> out of rotation until a probe or <see cref="MarkUp"/> says otherwise.</summary>
    public void MarkDown(string id)
    {
        probes.Quiet(id);
        slowStart.WentDown(id);
        SetActive(id, DestinationHealth.Unhealthy);
    }

    /// <summary>Puts destination <paramref name="id"/> back into rotation and forgets earlier passive failures and failed probes.</summary>
    public void MarkUp(string id)
    {
        if (TryFind(id, out var cluster, out var destination))
        {
            activePolicy.Restart(destination);
            probes.Resume(id);
            healthUpdater.SetPassive(cluster, destination, DestinationHealth.Healthy, TimeSpan.Zero);
            healthUpdater.SetActive(cluster, [new NewActiveDestinationHealth(destination, DestinationHealth.Healthy)]);
            // A backend that was down starts its slow start now, not at the next placement.
            slowStart.CameUp(id);
        }
    }

    /// <summary>The destination's health as the admin API reports it: healthy, unhealthy or unknown.</summary>
    public string Describe(string id) => TryFind(id, out _, out var destination) ? Describe(destination) : HealthStatus.Unknown;

    /// <summary>The health of <paramref name="destination"/> as the admin API reports it: healthy, unhealthy or unknown.</summary>
    public static string Describe(DestinationState destination)
    {
        // Unhealthy exactly when routing takes it out, so that HealthStatus.IsUp of this word is DestinationAvailability.IsUp.
        if (!DestinationAvailability.IsUp(destination))
        {
            return HealthStatus.Unhealthy;
        }

        var health = destination.Health;
        return health.Active == DestinationHealth.Healthy || health.Passive == DestinationHealth.Healthy ? HealthStatus.Healthy : HealthStatus.Unknown;
    }

    /// <summary>The destinations of the backends cluster, by id, as YARP currently has them.</summary>
    public IReadOnlyList<DestinationState> Destinations() =>
        proxyState.TryGetCluster(GatewayOptions.ClusterId, out var cluster)
            ? [.. cluster.Destinations.Values.OrderBy(d => d.DestinationId.Length).ThenBy(d => d.DestinationId, StringComparer.Ordinal)]
            : [];

    private void SetActive(string id, DestinationHealth health)
    {
        if (TryFind(id, out var cluster, out var destination))
        {
            healthUpdater.SetActive(cluster, [new NewActiveDestinationHealth(destination, health)]);
        }
    }

    private bool TryFind(string id, out ClusterState cluster, out DestinationState destination)
    {
        destination = null!;
        return proxyState.TryGetCluster(GatewayOptions.ClusterId, out cluster!)
            && cluster.Destinations.TryGetValue(id, out destination!);
    }
}
