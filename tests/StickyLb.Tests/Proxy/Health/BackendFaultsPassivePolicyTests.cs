using Microsoft.Extensions.Time.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using StickyLb.Proxy.Health;
using StickyLb.Tests.Infrastructure;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class BackendFaultsPassivePolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_000_000));
    private readonly RecentTraffic _traffic;
    private readonly BackendFaultsPassivePolicy _policy;
    private readonly ClusterState _cluster = AffinityTestCluster.Create(3);

    public BackendFaultsPassivePolicyTests()
    {
        _traffic = new RecentTraffic(_clock);
        _policy = new BackendFaultsPassivePolicy(_updater, _traffic, _clock, NullLogger<BackendFaultsPassivePolicy>.Instance);
    }

    [Fact]
    public void ARefusedConnectionTakesTheBackendOutOfRotationAtOnce()
    {
        Proxied("2", ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError, "refused"));

        var (destination, health, period) = Assert.Single(_updater.Passive);
        Assert.Equal(("2", DestinationHealth.Unhealthy, HealthDefaults.ReactivationPeriod), (destination.DestinationId, health, period));
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Failed);
    }

    [Fact]
    public void ASuccessfulRequestChangesNothing()
    {
        Proxied("2");

        Assert.Empty(_updater.Passive);
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Ok);
    }

    [Fact]
    public void AClientsFailureIsNeitherAFailureNorAnAnswerOfTheBackend()
    {
        for (var i = 0; i < 100; i++)
        {
            Proxied("2", ForwarderError.Request, new HttpRequestException("Request headers must contain only ASCII characters."));
            Proxied("2", ForwarderError.RequestCanceled);
            Proxied("2", ForwarderError.ResponseBodyClient);
        }

        Assert.Empty(_updater.Passive);
        Assert.DoesNotContain("2", _traffic.Snapshot(1)[0].Backends.Keys);
    }

    [Fact]
    public void ABackendThatAnswers5xxCountsAsFailedInTheChartButStaysInRotation()
    {
        for (var i = 0; i < 100; i++)
        {
            Proxied("2", status: StatusCodes.Status503ServiceUnavailable);
        }

        Assert.Empty(_updater.Passive);
        Assert.Equal(100, _traffic.Snapshot(1)[0].Backends["2"].Failed);
    }

    [Fact]
    public void BadAnswersTakeABackendOutOnlyWhenTheyAreMostOfWhatItServes()
    {
        // One broken endpoint hammered while the backend serves everyone else: never out.
        for (var i = 0; i < 50; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
            Proxied("2");
            Proxied("2");
        }

        Assert.Empty(_updater.Passive);

        // A backend whose every answer is bad: out once the window holds enough of them.
        for (var i = 0; i < HealthDefaults.MinimumFailures; i++)
        {
            Proxied("3", ForwarderError.RequestTimedOut);
        }

        var (destination, _, _) = Assert.Single(_updater.Passive);
        Assert.Equal("3", destination.DestinationId);
    }

    [Fact]
    public void BadAnswersFromLongAgoAreForgotten()
    {
        for (var i = 0; i < HealthDefaults.MinimumFailures - 1; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        _clock.Advance(HealthDefaults.FailureWindow);
        Proxied("2", ForwarderError.ResponseHeaders);

        Assert.Empty(_updater.Passive);
    }

    [Fact]
    public void TheMinimumNumberOfBadAnswersInTheWindowTakesABackendOut()
    {
        for (var i = 0; i < HealthDefaults.MinimumFailures; i++)
        {
            Assert.Empty(_updater.Passive);
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            Proxied("2", ForwarderError.ResponseBodyDestination);
        }

        Assert.Single(_updater.Passive);
    }

    private void Proxied(string destination, ForwarderError error = ForwarderError.None, Exception? exception = null, int status = StatusCodes.Status200OK)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = status;
        if (error != ForwarderError.None)
        {
            context.Features.Set<IForwarderErrorFeature>(new Failure(error, exception));
        }

        _policy.RequestProxied(context, _cluster, _cluster.Destinations[destination]);
    }

    private sealed record Failure(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature;

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
