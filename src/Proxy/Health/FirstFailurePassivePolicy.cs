using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Passive health that takes a backend out of rotation on its first failed request, for the
/// cluster's <c>Passive:ReactivationPeriod</c>. YARP's own <c>TransportFailureRate</c> policy needs
/// ten requests in a window before it acts, far too slow to show a dead backend. YARP calls this
/// after every proxied request, so it also feeds the dashboard's <see cref="RecentTraffic"/>: the one
/// place that sees each outcome without wrapping the proxy in another middleware.
/// </summary>
internal sealed class FirstFailurePassivePolicy(IDestinationHealthUpdater healthUpdater, RecentTraffic traffic, ILogger<FirstFailurePassivePolicy> logger)
    : IPassiveHealthCheckPolicy
{
    public string Name => HealthDefaults.FirstFailurePolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is not null && !IsBackendFailure(error.Error))
        {
            // The client gave up (aborted, sent a broken body): not the backend's doing, not its outcome.
            return;
        }

        var failed = error is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError;
        traffic.Record(destination.DestinationId, failed ? TrafficOutcome.Failed : TrafficOutcome.Ok);
        if (error is null)
        {
            return;
        }

        TakeOutOfRotation(healthUpdater, logger, cluster, destination, error.Error);
    }

    /// <summary>Marks <paramref name="destination"/> passively unhealthy for the cluster's reactivation period, and says so.</summary>
    internal static void TakeOutOfRotation(IDestinationHealthUpdater healthUpdater, ILogger logger, ClusterState cluster, DestinationState destination, ForwarderError error)
    {
        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? HealthDefaults.ReactivationPeriod;
        logger.PassiveFailure(destination.DestinationId, error, period);
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }

    /// <summary>Whether the error is the backend's fault rather than the client's (an aborted request, say).</summary>
    internal static bool IsBackendFailure(ForwarderError error) => error switch
    {
        ForwarderError.Request
            or ForwarderError.RequestTimedOut
            or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseBodyDestination
            or ForwarderError.UpgradeRequestDestination
            or ForwarderError.UpgradeResponseDestination => true,
        _ => false,
    };
}
