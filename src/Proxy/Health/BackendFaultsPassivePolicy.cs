using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Passive health that blames a backend only for its own faults (<see cref="BackendFaults"/>):
/// <list type="bullet">
/// <item>a connection refused, reset or closed before any response byte takes the backend out of
/// rotation at once, for the cluster's <c>Passive:ReactivationPeriod</c>: a dead process shows no other way
/// faster, and the kill-a-backend story depends on it;</item>
/// <item>a bad answer (malformed, cut short, timed out) counts toward a failure rate over
/// <see cref="BackendFaultsPassivePolicyOptions.FailureWindow"/>: the backend leaves only when at least
/// <see cref="BackendFaultsPassivePolicyOptions.MinimumFailures"/> of its requests failed and they are at least
/// <see cref="BackendFaultsPassivePolicyOptions.FailureRateLimit"/> of what it served (each overridable in the
/// cluster's metadata, <see cref="BackendFaultsThresholds"/>). Like YARP's
/// <c>TransportFailureRate</c> and HAProxy's <c>observe layer4</c>/<c>error-limit</c>, so that a client
/// hammering one broken endpoint cannot eject a backend that serves everyone else;</item>
/// <item>what a client causes (headers that cannot be sent, going away, reading slowly, a broken request
/// body) and status codes (a 503 while the session store is down is an answer) never count.</item>
/// </list>
/// YARP calls this after every proxied request, so it also feeds the dashboard's <see cref="RecentTraffic"/>.
/// </summary>
internal sealed class BackendFaultsPassivePolicy(
    IDestinationHealthUpdater healthUpdater,
    RecentTraffic traffic,
    TimeProvider timeProvider,
    IOptions<BackendFaultsPassivePolicyOptions> options,
    ILogger<BackendFaultsPassivePolicy> logger)
    : IPassiveHealthCheckPolicy
{
    private readonly BackendFaultsPassivePolicyOptions _options = options.Value;
    private readonly ConditionalWeakTable<DestinationState, FailureWindow> _windows = [];

    // Resolved once per cluster model: YARP replaces the model when the configuration changes, so a new
    // metadata value is read at the next request and the per-request cost stays one reference comparison.
    private readonly ConditionalWeakTable<ClusterState, ClusterThresholds> _thresholds = [];

    public string Name => HealthDefaults.PassivePolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        var fault = BackendFaults.Classify(error);
        if (fault == BackendFault.Client)
        {
            // Not the backend's outcome: neither its health nor its chart.
            return;
        }

        var failed = fault != BackendFault.None || context.Response.StatusCode >= StatusCodes.Status500InternalServerError;
        traffic.Record(destination.DestinationId, failed ? TrafficOutcome.Failed : TrafficOutcome.Ok);

        var thresholds = ThresholdsOf(cluster);
        var window = WindowOf(destination, thresholds.WindowSeconds);
        var second = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        switch (fault)
        {
            case BackendFault.None:
                window.RecordSuccess(second);
                break;
            case BackendFault.ConnectionLost:
                window.Clear();
                TakeOutOfRotation(healthUpdater, logger, cluster, destination, error!.Error, _options.ReactivationPeriod);
                break;
            case BackendFault.Response:
                var (failures, total) = window.RecordFailure(second);
                if (thresholds.IsExceeded(failures, total))
                {
                    window.Clear();
                    logger.FailureRateExceeded(destination.DestinationId, failures, total, TimeSpan.FromSeconds(thresholds.WindowSeconds));
                    TakeOutOfRotation(healthUpdater, logger, cluster, destination, error!.Error, _options.ReactivationPeriod);
                }

                break;
            default:
                throw new InvalidOperationException($"Unexpected fault {fault}.");
        }
    }

    /// <summary>
    /// Marks <paramref name="destination"/> passively unhealthy for the cluster's reactivation period (else
    /// <paramref name="defaultReactivationPeriod"/>, <see cref="BackendFaultsPassivePolicyOptions.ReactivationPeriod"/>), and says so.
    /// </summary>
    internal static void TakeOutOfRotation(
        IDestinationHealthUpdater healthUpdater, ILogger logger, ClusterState cluster, DestinationState destination, ForwarderError error, TimeSpan defaultReactivationPeriod)
    {
        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? defaultReactivationPeriod;
        logger.PassiveFailure(destination.DestinationId, error, period);
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }

    private BackendFaultsThresholds ThresholdsOf(ClusterState cluster)
    {
        var model = cluster.Model;
        if (_thresholds.TryGetValue(cluster, out var cached) && ReferenceEquals(cached.Model, model))
        {
            return cached.Thresholds;
        }

        var thresholds = _options.For(
            model.Config.Metadata, (key, value, expected) => logger.InvalidPassiveHealthMetadata(cluster.ClusterId, key, value, expected));
        _thresholds.AddOrUpdate(cluster, new ClusterThresholds(model, thresholds));
        return thresholds;
    }

    /// <summary>The destination's failure window, started afresh when its cluster's window changed size.</summary>
    private FailureWindow WindowOf(DestinationState destination, int seconds)
    {
        var window = _windows.GetValue(destination, _ => new FailureWindow(seconds));
        if (window.Seconds != seconds)
        {
            window = new FailureWindow(seconds);
            _windows.AddOrUpdate(destination, window);
        }

        return window;
    }

    private sealed record ClusterThresholds(ClusterModel Model, BackendFaultsThresholds Thresholds);
}
