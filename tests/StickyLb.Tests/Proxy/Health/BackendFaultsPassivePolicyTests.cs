using Microsoft.Extensions.Time.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Health;
using StickyLb.Tests.Infrastructure;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class BackendFaultsPassivePolicyTests
{
    private readonly RecordingHealthUpdater _updater = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_000_000));
    private readonly RecentTraffic _traffic;
    private static readonly BackendFaultsPassivePolicyOptions Defaults = new();
    private readonly BackendFaultsPassivePolicyOptions _options = new();
    private readonly BackendFaultsPassivePolicy _policy;
    private ClusterState _cluster = AffinityTestCluster.Create(3);

    public BackendFaultsPassivePolicyTests()
    {
        _traffic = new RecentTraffic(_clock);
        _policy = new BackendFaultsPassivePolicy(_updater, _traffic, _clock, Options.Create(_options), NullLogger<BackendFaultsPassivePolicy>.Instance);
    }

    [Fact]
    public void ARefusedConnectionTakesTheBackendOutOfRotationAtOnce()
    {
        Proxied("2", ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError, "refused"));

        var (destination, health, period) = Assert.Single(_updater.Passive);
        Assert.Equal(("2", DestinationHealth.Unhealthy, Defaults.ReactivationPeriod), (destination.DestinationId, health, period));
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
        for (var i = 0; i < Defaults.MinimumFailures; i++)
        {
            Proxied("3", ForwarderError.RequestTimedOut);
        }

        var (destination, _, _) = Assert.Single(_updater.Passive);
        Assert.Equal("3", destination.DestinationId);
    }

    [Fact]
    public void BadAnswersFromLongAgoAreForgotten()
    {
        for (var i = 0; i < Defaults.MinimumFailures - 1; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        _clock.Advance(Defaults.FailureWindow);
        Proxied("2", ForwarderError.ResponseHeaders);

        Assert.Empty(_updater.Passive);
    }

    [Fact]
    public void TheMinimumNumberOfBadAnswersInTheWindowTakesABackendOut()
    {
        for (var i = 0; i < Defaults.MinimumFailures; i++)
        {
            Assert.Empty(_updater.Passive);
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            Proxied("2", ForwarderError.ResponseBodyDestination);
        }

        Assert.Single(_updater.Passive);
    }

    [Fact]
    public void TheDefaultsAreTheThresholdsTheGatewayHasAlwaysUsed()
    {
        Assert.Equal(
            (TimeSpan.FromSeconds(10), 10, 0.5, TimeSpan.FromSeconds(1)),
            (Defaults.FailureWindow, Defaults.MinimumFailures, Defaults.FailureRateLimit, Defaults.ReactivationPeriod));
    }

    [Fact]
    public void AClusterMetadataMinimumFailuresTakesABackendOutSooner()
    {
        WithMetadata(new() { [BackendFaultsPassivePolicyOptions.MinimumFailuresMetadataName] = "3" });

        for (var i = 0; i < 3; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        Assert.Equal("2", Assert.Single(_updater.Passive).Destination.DestinationId);
    }

    [Fact]
    public void WithoutMetadataThreeBadAnswersLeaveABackendInRotation()
    {
        for (var i = 0; i < 3; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        Assert.Empty(_updater.Passive);
    }

    [Fact]
    public void AClusterMetadataFailureRateLimitKeepsABackendThatFailsLessThanIt()
    {
        // 12 bad answers of 18 requests: two thirds, enough for the default half, not for 0.9.
        WithMetadata(new() { [BackendFaultsPassivePolicyOptions.FailureRateLimitMetadataName] = "0.9" });

        for (var i = 0; i < 6; i++)
        {
            Proxied("2");
            Proxied("2", ForwarderError.ResponseHeaders);
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        Assert.Empty(_updater.Passive);
    }

    [Fact]
    public void AClusterMetadataFailureWindowForgetsBadAnswersSooner()
    {
        WithMetadata(new() { [BackendFaultsPassivePolicyOptions.FailureWindowMetadataName] = "00:00:02" });

        for (var i = 0; i < Defaults.MinimumFailures - 1; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        Proxied("2", ForwarderError.ResponseHeaders);

        Assert.Empty(_updater.Passive);
    }

    [Theory]
    [InlineData(BackendFaultsPassivePolicyOptions.MinimumFailuresMetadataName, "0")]
    [InlineData(BackendFaultsPassivePolicyOptions.MinimumFailuresMetadataName, "three")]
    [InlineData(BackendFaultsPassivePolicyOptions.FailureRateLimitMetadataName, "1.5")]
    [InlineData(BackendFaultsPassivePolicyOptions.FailureWindowMetadataName, "00:00:00.500")]
    public void AnInvalidMetadataValueKeepsTheGatewaysThreshold(string key, string value)
    {
        WithMetadata(new() { [key] = value });

        for (var i = 0; i < Defaults.MinimumFailures - 1; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        Assert.Empty(_updater.Passive);
        Proxied("2", ForwarderError.ResponseHeaders);
        Assert.Single(_updater.Passive);
    }

    [Fact]
    public void TheGatewaysOptionsApplyToAClusterWithoutMetadata()
    {
        _options.MinimumFailures = 2;
        _options.ReactivationPeriod = TimeSpan.FromSeconds(7);
        _cluster = AffinityTestCluster.Create(3);

        Proxied("2", ForwarderError.ResponseHeaders);
        Proxied("2", ForwarderError.ResponseHeaders);

        var (destination, _, period) = Assert.Single(_updater.Passive);
        Assert.Equal(("2", TimeSpan.FromSeconds(7)), (destination.DestinationId, period));
    }

    [Fact]
    public void AChangedMetadataValueAppliesFromTheNextRequest()
    {
        for (var i = 0; i < 3; i++)
        {
            Proxied("2", ForwarderError.ResponseHeaders);
        }

        WithMetadata(new() { [BackendFaultsPassivePolicyOptions.MinimumFailuresMetadataName] = "4" });
        Proxied("2", ForwarderError.ResponseHeaders);

        Assert.Single(_updater.Passive);
    }

    [Fact]
    public void TheOptionsAreBoundFromGatewayPassiveHealth()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:PassiveHealth:FailureWindow"] = "00:00:30",
            ["Gateway:PassiveHealth:MinimumFailures"] = "20",
            ["Gateway:PassiveHealth:FailureRateLimit"] = "0.8",
            ["Gateway:PassiveHealth:ReactivationPeriod"] = "00:00:05",
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddHealthSignals().BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<BackendFaultsPassivePolicyOptions>>().Value;

        Assert.Equal(
            (TimeSpan.FromSeconds(30), 20, 0.8, TimeSpan.FromSeconds(5)),
            (options.FailureWindow, options.MinimumFailures, options.FailureRateLimit, options.ReactivationPeriod));
    }

    [Theory]
    [InlineData("MinimumFailures", "0", "Invalid Gateway:PassiveHealth:MinimumFailures '0'")]
    [InlineData("FailureRateLimit", "0", "Invalid Gateway:PassiveHealth:FailureRateLimit '0'")]
    [InlineData("FailureWindow", "00:00:00.500", "Invalid Gateway:PassiveHealth:FailureWindow '00:00:00.5000000'")]
    [InlineData("ReactivationPeriod", "00:00:00", "Invalid Gateway:PassiveHealth:ReactivationPeriod '00:00:00'")]
    public void ABadOptionIsOneLineNamingItsKey(string property, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:PassiveHealth:" + property] = value,
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddHealthSignals().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BackendFaultsPassivePolicyOptions>>().Value);

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc", "Invalid Gateway:PassiveHealth:MinimumFailures 'abc': expected a whole number from 1.")]
    [InlineData("0", "Invalid Gateway:PassiveHealth:MinimumFailures '0': expected a whole number from 1.")]
    public void StartUpReadsABadOptionAsOneLine(string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:PassiveHealth:MinimumFailures"] = value,
        }).Build();

        var read = BackendFaultsPassivePolicyOptionsValidator.TryRead(configuration, out var error);

        Assert.Equal((false, expected), (read, error));
    }

    /// <summary>Gives the cluster <paramref name="metadata"/>, as a configuration reload would: a new model for the same cluster state.</summary>
    private void WithMetadata(Dictionary<string, string> metadata)
    {
        var old = _cluster.Model;
        // YARP's configuration reload sets the new model; its setter is internal, so the test sets it the same way by reflection.
        typeof(ClusterState).GetProperty(nameof(ClusterState.Model))!.SetValue(_cluster, new ClusterModel(old.Config with { Metadata = metadata }, old.HttpClient));
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
