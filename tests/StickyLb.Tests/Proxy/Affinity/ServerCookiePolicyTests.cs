using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Tests.Proxy.Affinity;

public sealed class ServerCookiePolicyTests
{
    private readonly AffinityCounters _counters = new();
    private readonly ServerCookiePolicy _policy;

    public ServerCookiePolicyTests() => _policy = new ServerCookiePolicy(_counters, new PinLifetime(null, null, null, TimeProvider.System), TimeProvider.System, NullLogger<ServerCookiePolicy>.Instance);

    [Fact]
    public void ARequestWithoutCookieHasNoAffinity()
    {
        var cluster = AffinityTestCluster.Create(3);

        var result = Find(cluster, cookie: null);

        Assert.Equal(AffinityStatus.AffinityKeyNotSet, result.Status);
        Assert.Equal(new AffinityMisses(0, 0, 0, 0, 0), _counters.Snapshot().Misses);
    }

    [Fact]
    public void ACookieNamingAHealthyBackendSelectsOnlyThatBackend()
    {
        var cluster = AffinityTestCluster.Create(3);

        var result = Find(cluster, "server=2");

        Assert.Equal(AffinityStatus.OK, result.Status);
        Assert.Same(cluster.Destinations["2"], Assert.Single(result.Destinations!));
        Assert.Equal(1, _counters.Snapshot().Hits);
    }

    [Fact]
    public void ACookieNamingABackendThatIsDownIsDestinationNotFound()
    {
        var cluster = AffinityTestCluster.Create(3, down: "2");

        var result = Find(cluster, "server=2");

        Assert.Equal(AffinityStatus.DestinationNotFound, result.Status);
        Assert.Equal(0, _counters.Snapshot().Hits);
    }

    [Theory]
    [InlineData("server=9")]
    [InlineData("server=abc")]
    [InlineData("server=")]
    [InlineData("server=../1")]
    [InlineData("server=1; server=2")]
    public void AnInvalidCookieIsNoAffinityAndCounted(string cookie)
    {
        var cluster = AffinityTestCluster.Create(3);

        var result = Find(cluster, cookie);

        Assert.Equal(AffinityStatus.AffinityKeyNotSet, result.Status);
        var misses = _counters.Snapshot().Misses;
        Assert.Equal(1, misses.Unknown + misses.Malformed + misses.Oversized + misses.Repeated);
    }

    [Fact]
    public void ABackendJustMarkedDownIsNotFoundEvenWhileTheClustersListStillOffersIt()
    {
        var cluster = AffinityTestCluster.Create(3);
        // What passive health does on a failed request; YARP rebuilds the list later, on the thread pool.
        cluster.Destinations["2"].Health.Passive = DestinationHealth.Unhealthy;

        var result = Find(cluster, "server=2");

        Assert.Equal(3, cluster.DestinationsState.AvailableDestinations.Count);
        Assert.Equal(AffinityStatus.DestinationNotFound, result.Status);
    }

    [Fact]
    public void ANewClientIsPinnedWithAPlainHttpOnlyLaxCookie()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = Context(cookie: null);

        _policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["3"]);

        Assert.Equal("server=3; path=/; samesite=lax; httponly", context.Response.Headers.SetCookie.ToString());
        Assert.Equal(1, _counters.Snapshot().NewPins);
    }

    [Fact]
    public void AClientAlreadyPinnedHereGetsNoCookie()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = Context("server=3");

        _policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["3"]);

        Assert.Equal(0, context.Response.Headers.SetCookie.Count);
        Assert.Equal(0, _counters.Snapshot().NewPins);
    }

    [Fact]
    public void AClientMovedOffADeadBackendIsRePinned()
    {
        var cluster = AffinityTestCluster.Create(3, down: "2");
        var context = Context("server=2");

        _policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["1"]);

        Assert.StartsWith("server=1;", context.Response.Headers.SetCookie.ToString());
        Assert.Equal((1, 0), (_counters.Snapshot().RePins, _counters.Snapshot().NewPins));
    }

    [Fact]
    public void AnHttpsRequestGetsASecureCookie()
    {
        var cluster = AffinityTestCluster.Create(3);
        var context = Context(cookie: null);
        context.Request.Scheme = "https";

        _policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["1"]);

        Assert.Contains("secure", context.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public void LookupByIdFindsTheDestinationWithoutScanningTheAvailableList()
    {
        var cluster = AffinityTestCluster.Create(200, down: "7");

        var found = ServerCookiePolicy.TryFindDestination(cluster, "150", out var destination);
        var available = DestinationAvailability.IsAvailable(destination, cluster);
        var sevenAvailable = DestinationAvailability.IsAvailable(cluster.Destinations["7"], cluster);

        Assert.True(found);
        Assert.Equal("150", destination.DestinationId);
        Assert.True(available);
        Assert.False(sevenAvailable);
    }

    [Fact]
    public void WithLifetimesANewClientIsPinnedWithItsTimesUnderAMac()
    {
        var (policy, counters, time) = Timed(maxIdle: 60);
        var cluster = AffinityTestCluster.Create(3);
        var context = Context(cookie: null);

        policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["3"]);

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Matches($@"^server=3\.{now}\.{now}\.[A-Za-z0-9_-]{{43}}; path=/; samesite=lax; httponly$", context.Response.Headers.SetCookie.ToString());
        Assert.Equal(1, counters.Snapshot().NewPins);
    }

    [Fact]
    public void AnExpiredPinIsPlacedAfreshCountedAndGetsANewCookieEvenOnTheSameBackend()
    {
        var (policy, counters, time) = Timed(maxIdle: 60);
        var cluster = AffinityTestCluster.Create(3);
        var cookie = "server=" + Pins(time, maxIdle: 60).NewPin("2");
        time.Advance(TimeSpan.FromSeconds(61));
        var context = Context(cookie);

        var result = policy.FindAffinitizedDestinations(context, cluster, AffinityTestCluster.Config, cluster.DestinationsState.AvailableDestinations);
        policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["2"]);

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(AffinityStatus.AffinityKeyNotSet, result.Status);
        Assert.StartsWith($"server=2.{now}.{now}.", context.Response.Headers.SetCookie.ToString());
        var snapshot = counters.Snapshot();
        Assert.Equal((1L, 1L, 0L, 0L), (snapshot.ExpiredPins, snapshot.NewPins, snapshot.Hits, snapshot.Misses.Tampered));
    }

    [Fact]
    public void APinWhoseTimesFailTheMacIsAMissCountedAsTampered()
    {
        var (policy, counters, time) = Timed(maxIdle: 60);
        var cluster = AffinityTestCluster.Create(3);
        var parts = Pins(time, maxIdle: 60).NewPin("2").Split('.');
        var context = Context($"server=2.{parts[1]}.{long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) + 1}.{parts[3]}");

        var result = policy.FindAffinitizedDestinations(context, cluster, AffinityTestCluster.Config, cluster.DestinationsState.AvailableDestinations);

        Assert.Equal(AffinityStatus.AffinityKeyNotSet, result.Status);
        Assert.Equal((1L, 0L, 0L), (counters.Snapshot().Misses.Tampered, counters.Snapshot().ExpiredPins, counters.Snapshot().Hits));
    }

    [Fact]
    public void AValidPinIsAHitAndItsLastUseIsRefreshedOnlyWhenDue()
    {
        var (policy, counters, time) = Timed(maxIdle: 64);
        var cluster = AffinityTestCluster.Create(3);
        var cookie = "server=" + Pins(time, maxIdle: 64).NewPin("2");

        time.Advance(TimeSpan.FromSeconds(3));
        var early = Served(policy, cluster, cookie);
        time.Advance(TimeSpan.FromSeconds(1));
        var due = Served(policy, cluster, cookie);

        Assert.Equal(0, early.Response.Headers.SetCookie.Count);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        Assert.StartsWith($"server=2.{now - 4}.{now}.", due.Response.Headers.SetCookie.ToString());
        Assert.Equal((2L, 0L), (counters.Snapshot().Hits, counters.Snapshot().NewPins));
    }

    private static DefaultHttpContext Served(ServerCookiePolicy policy, ClusterState cluster, string cookie)
    {
        var context = Context(cookie);
        var result = policy.FindAffinitizedDestinations(context, cluster, AffinityTestCluster.Config, cluster.DestinationsState.AvailableDestinations);
        policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, Assert.Single(result.Destinations!));
        return context;
    }

    private static PinLifetime Pins(TimeProvider time, int? maxIdle = null, int? maxLife = null) =>
        new(maxIdle, maxLife, PinCookieCodecTests.Key, time);

    private static (ServerCookiePolicy Policy, AffinityCounters Counters, FakeTimeProvider Time) Timed(int? maxIdle = null, int? maxLife = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_765_152_000));
        var counters = new AffinityCounters();
        return (new ServerCookiePolicy(counters, Pins(time, maxIdle, maxLife), time, NullLogger<ServerCookiePolicy>.Instance), counters, time);
    }

    private AffinityResult Find(ClusterState cluster, string? cookie) =>
        _policy.FindAffinitizedDestinations(Context(cookie), cluster, AffinityTestCluster.Config, cluster.DestinationsState.AvailableDestinations);

    private static DefaultHttpContext Context(string? cookie)
    {
        var context = new DefaultHttpContext();
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = cookie;
        }

        return context;
    }
}
