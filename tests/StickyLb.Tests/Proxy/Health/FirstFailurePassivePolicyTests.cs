using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using StickyLb.Tests.Infrastructure;
using StickyLb.Proxy.Health;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class FirstFailurePassivePolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();

    [Fact]
    public void TheFirstFailedRequestTakesTheBackendOutOfRotation()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = new DefaultHttpContext();
        context.Features.Set<IForwarderErrorFeature>(new ForwarderError(Yarp.ReverseProxy.Forwarder.ForwarderError.Request));

        Policy().RequestProxied(context, cluster, cluster.Destinations["2"]);

        var (destination, health, period) = Assert.Single(_updater.Passive);
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Failed);
        Assert.Equal(("2", DestinationHealth.Unhealthy, HealthDefaults.ReactivationPeriod), (destination.DestinationId, health, period));
    }

    [Fact]
    public void ASuccessfulRequestChangesNothing()
    {
        var cluster = AffinityTestCluster.Create(3);

        Policy().RequestProxied(new DefaultHttpContext(), cluster, cluster.Destinations["2"]);

        Assert.Empty(_updater.Passive);
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Ok);
    }

    [Fact]
    public void AClientThatGaveUpIsNeitherAFailureNorAnAnswerOfTheBackend()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = new DefaultHttpContext();
        context.Features.Set<IForwarderErrorFeature>(new ForwarderError(Yarp.ReverseProxy.Forwarder.ForwarderError.RequestCanceled));

        Policy().RequestProxied(context, cluster, cluster.Destinations["2"]);

        Assert.Empty(_updater.Passive);
        Assert.DoesNotContain("2", _traffic.Snapshot(1)[0].Backends.Keys);
    }

    [Fact]
    public void ABackendThatAnswers5xxCountsAsFailedButStaysInRotation()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = new DefaultHttpContext();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;

        Policy().RequestProxied(context, cluster, cluster.Destinations["2"]);

        Assert.Empty(_updater.Passive);
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Failed);
    }

    [Theory]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.Request, true)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.RequestTimedOut, true)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyDestination, true)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.RequestCanceled, false)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.RequestBodyClient, false)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyClient, false)]
    [InlineData(Yarp.ReverseProxy.Forwarder.ForwarderError.NoAvailableDestinations, false)]
    public void OnlyTheBackendsOwnFailuresCount(Yarp.ReverseProxy.Forwarder.ForwarderError error, bool counts)
    {
        Assert.Equal(counts, FirstFailurePassivePolicy.IsBackendFailure(error));
    }

    private readonly RecentTraffic _traffic = new(new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_000_000)));

    private FirstFailurePassivePolicy Policy() => new(_updater, _traffic, NullLogger<FirstFailurePassivePolicy>.Instance);

    private sealed class ForwarderError(Yarp.ReverseProxy.Forwarder.ForwarderError error) : IForwarderErrorFeature
    {
        public Yarp.ReverseProxy.Forwarder.ForwarderError Error { get; } = error;

        public Exception? Exception => null;
    }

    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public List<(DestinationState Destination, DestinationHealth Health, TimeSpan Period)> Passive { get; } = [];

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod) =>
            Passive.Add((destination, newHealth, reactivationPeriod));

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
        }
    }
}
