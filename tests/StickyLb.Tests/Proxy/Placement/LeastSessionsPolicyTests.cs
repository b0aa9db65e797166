using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Placement;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Placement;

public sealed class LeastSessionsPolicyTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly SessionEstimates _sessions = new();
    private readonly SlowStart _slowStart;
    private readonly LeastSessionsPolicy _policy;

    public LeastSessionsPolicyTests()
    {
        _slowStart = new SlowStart(_time, TimeSpan.FromSeconds(10));
        _policy = new LeastSessionsPolicy(_sessions, _slowStart);
    }

    [Fact]
    public void ThreeFreshClientsLandOnBackends1Then2Then3()
    {
        var cluster = AffinityTestCluster.Create(3);

        var picked = Enumerable.Range(0, 6).Select(_ => Pick(cluster)).ToList();

        Assert.Equal(["1", "2", "3", "1", "2", "3"], picked);
    }

    [Fact]
    public void ANewSessionGoesToTheBackendWithTheFewestSessions()
    {
        var cluster = AffinityTestCluster.Create(3);
        Sample(("1", 5), ("2", 2), ("3", 7));

        var picked = Enumerable.Range(0, 3).Select(_ => Pick(cluster)).ToList();
        var next = Enumerable.Range(0, 4).Select(_ => Pick(cluster)).ToList();

        Assert.Equal(["2", "2", "2"], picked);
        // Then 1 and 2 tie at 5 and share, round robin, until they reach 3's 7.
        Assert.Equal(2, next.Count(p => p == "1"));
        Assert.Equal(2, next.Count(p => p == "2"));
    }

    [Fact]
    public void PinsMadeSinceTheLastSampleAreCountedUntilASampleIncludesThem()
    {
        var cluster = AffinityTestCluster.Create(2);
        var asked = _sessions.Sampling("1");
        Pick(cluster);
        Pick(cluster);

        // The sample was asked for before those pins: its count does not hold them yet.
        _sessions.Sampled("1", 10, asked);
        _sessions.Sampled("2", 10, _sessions.Sampling("2"));

        Assert.Equal((11L, 10L), (_sessions.Estimate("1"), _sessions.Estimate("2")));
    }

    [Fact]
    public void OnlyTheAvailableDestinationsAreConsidered()
    {
        var cluster = AffinityTestCluster.Create(3, down: "2");
        Sample(("1", 50), ("2", 0), ("3", 50));

        var picked = Enumerable.Range(0, 10).Select(_ => Pick(cluster)).Distinct().Order().ToList();

        Assert.Equal(["1", "3"], picked);
    }

    [Fact]
    public void ARestartedBackendTakesLessThanAThirdOfTheNewPinsInItsFirstSecond()
    {
        // Backend 2 restarted empty; 1 and 3 hold the sessions it lost and their own (memory mode after a kill).
        var cluster = AffinityTestCluster.Create(3, down: "2");
        Sample(("1", 150), ("2", 0), ("3", 150));
        Pick(cluster);
        cluster = AffinityTestCluster.Create(3);

        // 300 new users in the first second after it came up, evenly spread over that second.
        var onRestarted = 0;
        for (var i = 0; i < 300; i++)
        {
            onRestarted += Pick(cluster) == "2" ? 1 : 0;
            _time.Advance(TimeSpan.FromSeconds(1.0 / 300));
        }

        Assert.InRange(onRestarted, 1, 99);
    }

    [Fact]
    public void OnceItsSlowStartIsOverARestartedBackendCatchesUpAndTheBackendsEndWithinTenPercent()
    {
        var cluster = AffinityTestCluster.Create(3, down: "2");
        Sample(("1", 150), ("2", 0), ("3", 150));
        Pick(cluster);
        cluster = AffinityTestCluster.Create(3);
        Pick(cluster);
        _time.Advance(TimeSpan.FromSeconds(10));

        for (var i = 0; i < 299; i++)
        {
            Pick(cluster);
        }

        var estimates = new[] { "1", "2", "3" }.Select(_sessions.Estimate).ToList();
        Assert.Equal(601, estimates.Sum());
        Assert.True(estimates.Max() <= estimates.Min() * 1.1, $"Sessions after the restart: {string.Join(" / ", estimates)}.");
    }

    [Fact]
    public void BackendsUpWhenTheGatewayStartsAreNotInSlowStart()
    {
        var cluster = AffinityTestCluster.Create(3);

        Pick(cluster);

        Assert.Equal([1.0, 1.0, 1.0], new[] { "1", "2", "3" }.Select(_slowStart.Weight));
    }

    [Fact]
    public void SlowStartRampsTheWeightLinearlyFromAboveZeroToFull()
    {
        _slowStart.WentDown("2");
        _slowStart.CameUp("2");
        var atStart = _slowStart.Weight("2");
        _time.Advance(TimeSpan.FromSeconds(5));
        var halfway = _slowStart.Weight("2");
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(PlacementDefaults.MinSlowStartWeight, atStart);
        Assert.Equal(0.5, halfway, 3);
        Assert.Equal(1.0, _slowStart.Weight("2"));
    }

    [Fact]
    public void ASlowStartOfZeroPutsARestartedBackendInFullServiceAtOnce()
    {
        var slowStart = new SlowStart(_time, TimeSpan.Zero);

        slowStart.WentDown("2");
        slowStart.CameUp("2");

        Assert.Equal(1.0, slowStart.Weight("2"));
    }

    private string Pick(ClusterState cluster) =>
        _policy.PickDestination(new DefaultHttpContext(), cluster, cluster.DestinationsState.AvailableDestinations)!.DestinationId;

    private void Sample(params (string Id, int Sessions)[] samples)
    {
        foreach (var (id, sessions) in samples)
        {
            _sessions.Sampled(id, sessions, _sessions.Sampling(id));
        }
    }
}
