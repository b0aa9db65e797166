using System.Net;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class ConsecutiveFailuresSinceStartPolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();
    private readonly ConsecutiveFailuresSinceStartPolicy _policy;

    public ConsecutiveFailuresSinceStartPolicyTests() => _policy = new ConsecutiveFailuresSinceStartPolicy(_updater);

    [Fact]
    public void TwoFailedProbesInARowTakeABackendOutAndOneThatSucceedsPutsItBack()
    {
        var cluster = Cluster();

        Probe(cluster, HttpStatusCode.ServiceUnavailable);
        var afterOne = _updater.Last;
        Probe(cluster, null);
        var afterTwo = _updater.Last;
        Probe(cluster, HttpStatusCode.OK);

        Assert.Equal(DestinationHealth.Healthy, afterOne);
        Assert.Equal(DestinationHealth.Unhealthy, afterTwo);
        Assert.Equal(DestinationHealth.Healthy, _updater.Last);
    }

    [Fact]
    public void AProbeThatFailedBeforeTheBackendWasSeenUpDoesNotTakeItOutAgain()
    {
        // The gateway probes a spawned backend before it listens; the answer to such a probe (connection
        // refused) can arrive just after the supervisor has put the backend into rotation.
        var cluster = Cluster();
        Probe(cluster, null);
        Probe(cluster, null);
        var beforeStart = _updater.Last;

        _policy.Restart(cluster.Destinations["1"]);
        Probe(cluster, null);

        Assert.Equal(DestinationHealth.Unhealthy, beforeStart);
        Assert.Equal(DestinationHealth.Healthy, _updater.Last);
    }

    [Fact]
    public void TheThresholdIsReadFromYarpsOwnMetadataKey()
    {
        var cluster = Cluster(threshold: "3");

        Probe(cluster, null);
        Probe(cluster, null);
        var afterTwo = _updater.Last;
        Probe(cluster, null);

        Assert.Equal(DestinationHealth.Healthy, afterTwo);
        Assert.Equal(DestinationHealth.Unhealthy, _updater.Last);
    }

    /// <summary>One probe of destination 1: answered with <paramref name="status"/>, or failed without an answer (null).</summary>
    private void Probe(ClusterState cluster, HttpStatusCode? status)
    {
        var destination = cluster.Destinations["1"];
        using var response = status is { } code ? new HttpResponseMessage(code) : null;
        var result = new DestinationProbingResult(destination, response, response is null ? new HttpRequestException("Connection refused") : null);
        _policy.ProbingCompleted(cluster, [result]);
    }

    private static ClusterState Cluster(string? threshold = null)
    {
        var config = new ClusterConfig
        {
            ClusterId = "backends",
            Metadata = threshold is null ? null : new Dictionary<string, string> { [ConsecutiveFailuresSinceStartPolicy.ThresholdMetadataKey] = threshold },
        };
        var cluster = new ClusterState("backends", new ClusterModel(config, new HttpMessageInvoker(new HttpClientHandler())));
        cluster.Destinations["1"] = new DestinationState("1");
        return cluster;
    }

    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public DestinationHealth? Last { get; private set; }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
        {
        }

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates) =>
            Last = Assert.Single(newHealthStates).NewActiveHealth;
    }
}
