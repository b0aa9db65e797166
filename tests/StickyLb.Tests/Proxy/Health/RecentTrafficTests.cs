using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Health;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Health;

public sealed class RecentTrafficTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_000_000));

    [Fact]
    public void RequestsAreCountedPerSecondPerBackendAndOutcome()
    {
        var traffic = new RecentTraffic(_clock);

        traffic.Record("1", TrafficOutcome.Ok);
        traffic.Record("1", TrafficOutcome.Ok);
        traffic.Record("2", TrafficOutcome.Failed);
        _clock.Advance(TimeSpan.FromSeconds(1));
        traffic.Record("2", TrafficOutcome.Rejected);
        var snapshot = traffic.Snapshot(2);

        Assert.Equal([1_000_000, 1_000_001], snapshot.Select(s => s.Second));
        Assert.Equal(new TrafficCounts(2, 0, 0), snapshot[0].Backends["1"]);
        Assert.Equal(new TrafficCounts(0, 1, 0), snapshot[0].Backends["2"]);
        Assert.Equal(new TrafficCounts(0, 0, 1), snapshot[1].Backends["2"]);
        Assert.Equal(new TrafficCounts(0, 0, 0), snapshot[1].Backends["1"]);
    }

    [Fact]
    public void ASecondOlderThanAMinuteIsForgottenWhenItsBucketIsReused()
    {
        var traffic = new RecentTraffic(_clock);
        traffic.Record("1", TrafficOutcome.Ok);

        _clock.Advance(TimeSpan.FromSeconds(RecentTraffic.Seconds));
        traffic.Record("1", TrafficOutcome.Failed);
        var now = traffic.Snapshot(1)[0];

        Assert.Equal(new TrafficCounts(0, 1, 0), now.Backends["1"]);
    }
}
