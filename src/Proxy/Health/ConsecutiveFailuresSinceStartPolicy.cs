using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Active health as YARP's <c>ConsecutiveFailures</c> policy judges it (a destination is unhealthy after
/// <c>ConsecutiveFailuresHealthPolicy.Threshold</c> failed probes in a row, default 2, keeps its previous state
/// after fewer, and is healthy again after one that succeeds), with two differences. A probe succeeds on any
/// 2xx or 3xx answer (HAProxy's <c>option httpchk</c> rule: YARP's prober follows no redirect, and an app whose
/// <c>/</c> redirects to a login page is up). And the count starts again when the supervisor sees a backend come up
/// (<see cref="DestinationHealthSignal.MarkUp"/>). YARP probes a spawned backend from the moment the gateway
/// starts, before the backend listens: without that restart, the answer to a probe sent before it was up
/// (connection refused) arrived just after the supervisor had put it into rotation and, the count already at
/// the threshold, took a healthy backend straight back out until the next probe, while the first users
/// were pinned to the others (one backend of three got 2 of 300 users in about one start in ten).
/// </summary>
internal sealed class ConsecutiveFailuresSinceStartPolicy(IDestinationHealthUpdater healthUpdater, ProbeOutcomes outcomes) : IActiveHealthCheckPolicy
{
    /// <summary>The name to put in <c>HealthCheck:Active:Policy</c>.</summary>
    public const string PolicyName = "ConsecutiveFailuresSinceStart";

    /// <summary>YARP's own metadata key for the threshold, so that a configuration written for its policy keeps working.</summary>
    public const string ThresholdMetadataKey = "ConsecutiveFailuresHealthPolicy.Threshold";

    private const int DefaultThreshold = 2;

    private readonly ConditionalWeakTable<DestinationState, StrongBox<int>> _failures = new();

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        if (probingResults.Count == 0)
        {
            return;
        }

        var threshold = Threshold(cluster);
        var health = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            var failures = _failures.GetOrCreateValue(result.Destination);
            DestinationHealth verdict;
            if (IsUp(result.Response))
            {
                Volatile.Write(ref failures.Value, 0);
                verdict = DestinationHealth.Healthy;
            }
            else
            {
                // Below the threshold the previous state stands (YARP's rule): a backend the supervisor has
                // just marked down after a kill stays down, instead of coming back for a probe interval.
                verdict = Interlocked.Increment(ref failures.Value) >= threshold ? DestinationHealth.Unhealthy : result.Destination.Health.Active;
            }

            outcomes.Record(cluster, result, verdict);
            health.Add(new NewActiveDestinationHealth(result.Destination, verdict));
        }

        healthUpdater.SetActive(cluster, health);
    }

    /// <summary>Whether a probe's answer says the backend is up: any 2xx or 3xx status.</summary>
    public static bool IsUp(HttpResponseMessage? response) => response is { StatusCode: >= HttpStatusCode.OK and < HttpStatusCode.BadRequest };

    /// <summary>Forgets the failed probes of <paramref name="destination"/>: its backend has just been seen up.</summary>
    public void Restart(DestinationState destination) => Volatile.Write(ref _failures.GetOrCreateValue(destination).Value, 0);

    private static int Threshold(ClusterState cluster) =>
        cluster.Model.Config.Metadata is { } metadata
        && metadata.TryGetValue(ThresholdMetadataKey, out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var threshold) && threshold > 0
            ? threshold
            : DefaultThreshold;
}
