using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Placement;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Placement;

public sealed class RebalancerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly BackendRequestCounters _requests = new();
    private readonly DrainRegistry _drain = new(NullLogger<DrainRegistry>.Instance);
    private readonly AffinityCounters _counters = new();
    private readonly Rebalancer _rebalancer;

    public RebalancerTests() => _rebalancer = new Rebalancer(1.25, _requests, _drain, _time);

    public void Dispose() => _rebalancer.Dispose();

    [Theory]
    // Compare's skewed phase: 600 requests, a mean of 200, a bound of 250 at 1.25.
    [InlineData(250, 600, 3, 1.25, true)]
    [InlineData(249, 600, 3, 1.25, false)]
    [InlineData(400, 600, 3, 1.25, true)]
    [InlineData(200, 600, 3, 1.25, false)]
    [InlineData(100, 150, 2, 1.25, true)]
    [InlineData(299, 600, 3, 1.5, false)]
    public void ABackendIsOverTheBoundWhenOneMoreRequestWouldTakeItAboveFactorTimesTheMean(long load, long total, int backends, double factor, bool over)
    {
        Assert.Equal(over, Rebalancer.IsOverBound(load, total, backends, factor));
    }

    [Fact]
    public void AUserPinnedToABackendOverTheBoundMovesToTheLeastLoadedOne()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 110), ("2", 400), ("3", 90));

        var fromBusy = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"]);
        var fromQuiet = _rebalancer.MoveFrom(cluster, cluster.Destinations["1"]);

        Assert.Same(cluster.Destinations["3"], fromBusy);
        Assert.Null(fromQuiet);
    }

    [Fact]
    public void ABackendWithinTheBoundKeepsItsUsers()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 180), ("2", 240), ("3", 180));

        Assert.Null(_rebalancer.MoveFrom(cluster, cluster.Destinations["2"]));
    }

    [Fact]
    public void AClientStartingAnActivityIsMovedOnceItsBackendIsHalfwayToTheBound()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 180), ("2", 230), ("3", 190));

        var starting = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"], startsActivity: true);
        var midBurst = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"], startsActivity: false);

        Assert.Equal(1.125, Rebalancer.EarlyFactor(1.25));
        Assert.Same(cluster.Destinations["1"], starting);
        Assert.Null(midBurst);
    }

    [Fact]
    public void AClientsRequestStartsAnActivityAfterAQuarterSecondWithoutOne()
    {
        var activity = new ClientActivity(_time);

        var first = activity.Touch("server=2; .StickyLb.Session=a");
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var inBurst = activity.Touch("server=2; .StickyLb.Session=a");
        var otherClient = activity.Touch("server=2; .StickyLb.Session=b");
        _time.Advance(ClientActivity.Gap);
        var afterQuiet = activity.Touch("server=2; .StickyLb.Session=a");

        Assert.Equal((true, false, true, true), (first, inBurst, otherClient, afterQuiet));
    }

    [Fact]
    public void AHandfulOfRequestsMovesNobody()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("2", Rebalancer.MinWindowRequests - 1));

        Assert.Null(_rebalancer.MoveFrom(cluster, cluster.Destinations["2"]));
    }

    [Fact]
    public void OnlyAHealthyBackendThatIsNotDrainingTakesTheMovedUsers()
    {
        var cluster = AffinityTestCluster.Create(3, down: "1");
        Serve(("1", 0), ("2", 400), ("3", 100), ("4", 0));
        var withoutOne = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"]);
        _drain.Drain("3");

        var withoutOneAndThree = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"]);

        Assert.Same(cluster.Destinations["3"], withoutOne);
        Assert.Null(withoutOneAndThree);
    }

    [Fact]
    public void TheLoadIsMeasuredOverTheLastTwoSecondsOnly()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 100), ("2", 400), ("3", 100));
        var overBefore = _rebalancer.MoveFrom(cluster, cluster.Destinations["2"]) is not null;

        // The skew ends; two seconds later only the even traffic since is in the window.
        Advance(Rebalancer.Window + Rebalancer.Step);
        Serve(("1", 50), ("2", 55), ("3", 50));

        Assert.True(overBefore);
        Assert.Null(_rebalancer.MoveFrom(cluster, cluster.Destinations["2"]));
    }

    [Fact]
    public void OffMovesNobody()
    {
        using var off = new Rebalancer(null, _requests, _drain, _time);
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 0), ("2", 400), ("3", 0));

        Assert.False(off.IsOn);
        Assert.Null(off.MoveFrom(cluster, cluster.Destinations["2"]));
    }

    [Fact]
    public void TheMiddlewareMovesAPinnedRequestOverTheBoundAndCountsItRebalanced()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 100), ("2", 400), ("3", 100));
        var (context, proxy) = PinnedRequest(cluster, "2");

        Middleware().InvokeAsync(context);

        Assert.Same(cluster.Destinations["1"], Assert.Single(proxy.AvailableDestinations));
        Assert.True(RebalancedRequest.Is(context));
        Assert.Equal(1, _counters.Snapshot().Rebalanced);
    }

    [Fact]
    public void TheMiddlewareLeavesANewClientToLoadBalancing()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 100), ("2", 400), ("3", 100));
        var (context, proxy) = PinnedRequest(cluster, null);

        Middleware().InvokeAsync(context);

        Assert.Equal(3, proxy.AvailableDestinations.Count);
        Assert.Equal(0, _counters.Snapshot().Rebalanced);
    }

    [Fact]
    public void ARebalancedClientIsRePinnedWithoutCountingARePin()
    {
        var cluster = AffinityTestCluster.Create(3);
        var (context, _) = PinnedRequest(cluster, "2");
        RebalancedRequest.Mark(context);
        var policy = new ServerCookiePolicy(_counters, new PinLifetime(null, null, null, _time), _time, NullLogger<ServerCookiePolicy>.Instance);

        policy.AffinitizeResponse(context, cluster, AffinityTestCluster.Config, cluster.Destinations["1"]);

        Assert.StartsWith("server=1;", context.Response.Headers.SetCookie.ToString());
        Assert.Equal((0, 0), (_counters.Snapshot().RePins, _counters.Snapshot().NewPins));
    }

    [Fact]
    public void ARebalancedRequestIsMovedForTheBackendNeverAHit()
    {
        var cluster = AffinityTestCluster.Create(3);
        Serve(("1", 100), ("2", 400), ("3", 100));
        var (context, proxy) = PinnedRequest(cluster, "2");
        Middleware().InvokeAsync(context);

        proxy.ProxiedDestination = proxy.AvailableDestinations[0];

        Assert.Equal("moved", AffinityHeaderTransform.Classify(context));
    }

    private RebalanceMiddleware Middleware() =>
        new(_ => Task.CompletedTask, _rebalancer, new ClientActivity(_time), _counters, NullLogger<RebalanceMiddleware>.Instance);

    /// <summary>A request as the affinity step leaves it: pinned to a healthy backend, only that one is available.</summary>
    private static (HttpContext Context, ReverseProxyFeature Proxy) PinnedRequest(ClusterState cluster, string? pin)
    {
        var context = new DefaultHttpContext();
        if (pin is not null)
        {
            context.Request.Headers.Cookie = "server=" + pin;
        }

        var proxy = new ReverseProxyFeature
        {
            Route = new RouteModel(new RouteConfig { RouteId = "gateway", ClusterId = cluster.ClusterId }, cluster, HttpTransformer.Default),
            Cluster = cluster.Model,
            AllDestinations = cluster.DestinationsState.AllDestinations,
            AvailableDestinations = pin is null ? cluster.DestinationsState.AvailableDestinations : cluster.Destinations[pin],
        };
        context.Features.Set<IReverseProxyFeature>(proxy);
        return (context, proxy);
    }

    private void Serve(params (string Id, int Requests)[] served)
    {
        foreach (var (id, requests) in served)
        {
            for (var i = 0; i < requests; i++)
            {
                _requests.Increment(id);
            }
        }
    }

    private void Advance(TimeSpan by)
    {
        for (var step = TimeSpan.Zero; step < by; step += Rebalancer.Step)
        {
            _time.Advance(Rebalancer.Step);
        }
    }
}
