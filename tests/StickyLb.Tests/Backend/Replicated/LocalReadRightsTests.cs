using Microsoft.Extensions.Time.Testing;
using StickyLb.BackendApp.Replicated;

namespace StickyLb.Tests.Backend.Replicated;

/// <summary>When a backend may trust its own replica of a session (sync mode), and when it must ask a majority.</summary>
public sealed class LocalReadRightsTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(20);

    [Fact]
    public void ABackendMayReadLocallyTheVersionItWroteItself()
    {
        using var rights = Create(out _);

        rights.Wrote("s", 100);

        Assert.True(rights.MayReadLocally("s", 100));
    }

    [Fact]
    public void ANewerVersionInTheReplicaThanTheOneItWroteMeansAnotherBackendWroteIt()
    {
        using var rights = Create(out _);
        rights.Wrote("s", 100);

        Assert.False(rights.MayReadLocally("s", 200));
        Assert.False(rights.MayReadLocally("other", 100));
    }

    [Fact]
    public void AVersionAnotherBackendWroteIsNeverReadLocally()
    {
        using var rights = Create(out _);
        rights.Wrote("s", 100);

        rights.ReadFromMajority("s", 200);

        Assert.False(rights.MayReadLocally("s", 200));
        Assert.False(rights.MayReadLocally("s", 100));
    }

    [Fact]
    public void AClusterChangeOrAPauseForgetsEveryRightUntilAMajorityReadConfirmsItAgain()
    {
        using var rights = Create(out _);
        rights.Wrote("s", 100);

        rights.Interrupt();
        var afterInterrupt = rights.MayReadLocally("s", 100);
        rights.ReadFromMajority("s", 100);

        Assert.False(afterInterrupt);
        Assert.True(rights.MayReadLocally("s", 100));
    }

    [Fact]
    public void TwoChangesOfOneSessionAtOnceOnThisBackendLeaveItsReplicaReadableLocallyWhicheverWon()
    {
        using var rights = Create(out _);

        // The replicator applied 200 last (it is what the replica holds), but 100's acknowledgement came back last.
        rights.Wrote("s", 200);
        rights.Wrote("s", 100);

        Assert.True(rights.MayReadLocally("s", 200));
        Assert.True(rights.MayReadLocally("s", 100));
        Assert.False(rights.MayReadLocally("s", 300));
    }

    [Fact]
    public void AMajorityReadOfOneOfTheVersionsThisBackendWroteConfirmsItsRight()
    {
        using var rights = Create(out _);
        rights.Wrote("s", 200);
        rights.Wrote("s", 100);

        rights.ReadFromMajority("s", 200);

        Assert.True(rights.MayReadLocally("s", 200));
    }

    [Fact]
    public void OnlyTheLastFewVersionsThisBackendWroteCount()
    {
        using var rights = Create(out _);

        for (var version = 1; version <= LocalReadRights.VersionsKept + 1; version++)
        {
            rights.Wrote("s", version);
        }

        Assert.False(rights.MayReadLocally("s", 1));
        Assert.True(rights.MayReadLocally("s", 2));
    }

    [Fact]
    public void AfterAClusterChangeOnlyWhatThisBackendWritesAnewIsReadLocally()
    {
        using var rights = Create(out _);
        rights.Wrote("s", 100);

        rights.Interrupt();
        rights.Wrote("s", 200);

        Assert.False(rights.MayReadLocally("s", 100));
        Assert.True(rights.MayReadLocally("s", 200));
    }

    [Fact]
    public void ASessionNoBackendHadIsNeverReadLocallyBeforeThisBackendWritesIt()
    {
        using var rights = Create(out _);

        rights.ReadFromMajority("s", null);

        Assert.False(rights.MayReadLocally("s", 0));
    }

    [Fact]
    public void RightsUnusedForTheIdleTimeoutAreForgotten()
    {
        using var rights = Create(out var time);
        rights.Wrote("old", 100);
        rights.Wrote("trigger", 1);

        time.Advance(Idle);
        rights.Wrote("new", 300);

        Assert.False(rights.MayReadLocally("old", 100));
        Assert.True(rights.MayReadLocally("new", 300));
    }

    private static LocalReadRights Create(out FakeTimeProvider time)
    {
        time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return new LocalReadRights(time, Idle, detectPauses: false);
    }
}
