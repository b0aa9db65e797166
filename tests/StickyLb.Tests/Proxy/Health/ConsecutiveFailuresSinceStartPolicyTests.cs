using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class ConsecutiveFailuresSinceStartPolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();
    private readonly ConsecutiveFailuresSinceStartPolicy _policy;

    public ConsecutiveFailuresSinceStartPolicyTests() => _policy = new ConsecutiveFailuresSinceStartPolicy(
        _updater, new ProbeOutcomes(Options.Create(new GatewayOptions()), NullLogger<ProbeOutcomes>.Instance));

    [Fact]
    public void TwoFailedProbesInARowTakeABackendOutAndOneThatSucceedsPutsItBack()
    {
        var cluster = Cluster(DestinationHealth.Healthy);

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
    public void AFailedProbeBelowTheThresholdLeavesABackendTheSupervisorMarkedDownOutOfRotation()
    {
        // Right after a kill the supervisor marks the backend down; the first probe that then fails is below
        // the threshold and must not put the dead backend back into rotation (YARP keeps the previous state).
        var cluster = Cluster(DestinationHealth.Healthy);
        Probe(cluster, HttpStatusCode.OK);
        cluster.Destinations["1"].Health.Active = DestinationHealth.Unhealthy;

        Probe(cluster, null);

        Assert.Equal(DestinationHealth.Unhealthy, _updater.Last);
    }

    [Fact]
    public void ABackendNotYetProbedStaysUnknownAfterOneFailedProbe()
    {
        var cluster = Cluster(DestinationHealth.Unknown);

        Probe(cluster, HttpStatusCode.NotFound);

        Assert.Equal(DestinationHealth.Unknown, _updater.Last);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.NoContent)]
    [InlineData(HttpStatusCode.MovedPermanently)]
    [InlineData(HttpStatusCode.Found)]
    [InlineData(HttpStatusCode.NotModified)]
    public void A2xxOr3xxAnswerPutsABackendBackAndKeepsItIn(HttpStatusCode status)
    {
        var cluster = Cluster(DestinationHealth.Unhealthy);
        var verdicts = new List<DestinationHealth?>();

        for (var i = 0; i < 3; i++)
        {
            Probe(cluster, status);
            verdicts.Add(_updater.Last);
        }

        Assert.All(verdicts, v => Assert.Equal(DestinationHealth.Healthy, v));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public void A4xxOr5xxAnswerIsAFailedProbe(HttpStatusCode status)
    {
        var cluster = Cluster(DestinationHealth.Healthy);

        Probe(cluster, status);
        Probe(cluster, status);

        Assert.Equal(DestinationHealth.Unhealthy, _updater.Last);
    }

    [Fact]
    public void AProbeThatFailedBeforeTheBackendWasSeenUpDoesNotTakeItOutAgain()
    {
        // The gateway probes a spawned backend before it listens; the answer to such a probe (connection
        // refused) can arrive just after the supervisor has put the backend into rotation.
        var cluster = Cluster(DestinationHealth.Unknown);
        Probe(cluster, null);
        Probe(cluster, null);
        var beforeStart = _updater.Last;

        // What DestinationHealthSignal.MarkUp does.
        _policy.Restart(cluster.Destinations["1"]);
        cluster.Destinations["1"].Health.Active = DestinationHealth.Healthy;
        Probe(cluster, null);

        Assert.Equal(DestinationHealth.Unhealthy, beforeStart);
        Assert.Equal(DestinationHealth.Healthy, _updater.Last);
    }

    [Fact]
    public void TheThresholdIsReadFromYarpsOwnMetadataKey()
    {
        var cluster = Cluster(DestinationHealth.Healthy, threshold: "3");

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

    /// <summary>The backends cluster with destination 1 in active health <paramref name="health"/>.</summary>
    private static ClusterState Cluster(DestinationHealth health, string? threshold = null)
    {
        var config = new ClusterConfig
        {
            ClusterId = "backends",
            Metadata = threshold is null ? null : new Dictionary<string, string> { [ConsecutiveFailuresSinceStartPolicy.ThresholdMetadataKey] = threshold },
        };
        var cluster = new ClusterState("backends", new ClusterModel(config, new HttpMessageInvoker(new HttpClientHandler())));
        cluster.Destinations["1"] = new DestinationState("1");
        cluster.Destinations["1"].Health.Active = health;
        return cluster;
    }

    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public DestinationHealth? Last { get; private set; }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
        {
        }

        /// <summary>Records the verdict and applies it, as YARP's updater does, so the next probe sees it as the previous state.</summary>
        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
            var verdict = Assert.Single(newHealthStates);
            verdict.Destination.Health.Active = verdict.NewActiveHealth;
            Last = verdict.NewActiveHealth;
        }
    }
}
