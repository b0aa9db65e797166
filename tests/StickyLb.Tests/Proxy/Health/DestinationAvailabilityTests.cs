using StickyLb.Proxy.Health;
using StickyLb.Tests.Proxy.Affinity;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class DestinationAvailabilityTests
{
    [Fact]
    public void TheDestinationsOwnFlagsDecideNotTheClustersList()
    {
        var cluster = AffinityTestCluster.Create(3);
        cluster.Destinations["2"].Health.Passive = DestinationHealth.Unhealthy;

        Assert.False(DestinationAvailability.IsAvailable(cluster.Destinations["2"], cluster));
        Assert.True(DestinationAvailability.IsAvailable(cluster.Destinations["1"], cluster));
    }

    [Fact]
    public void UnderHealthyOrPanicEveryDestinationIsUsedWhenAllAreDown()
    {
        var cluster = AffinityTestCluster.Create(3, DestinationAvailability.PanicPolicy, "1", "2", "3");

        Assert.True(DestinationAvailability.IsAvailable(cluster.Destinations["2"], cluster));
        Assert.Equal(3, DestinationAvailability.WithoutDown([.. cluster.DestinationsState.AllDestinations], cluster).Count);
    }

    [Fact]
    public void WithoutAPanicPolicyADownDestinationStaysOutEvenWhenAllAreDown()
    {
        var cluster = AffinityTestCluster.Create(3, "HealthyAndUnknown", "1", "2", "3");

        Assert.False(DestinationAvailability.IsAvailable(cluster.Destinations["2"], cluster));
    }

    [Fact]
    public void WithoutDownKeepsTheSameListWhenNothingIsDown()
    {
        var cluster = AffinityTestCluster.Create(3);
        var available = cluster.DestinationsState.AvailableDestinations;

        Assert.Same(available, DestinationAvailability.WithoutDown(available, cluster));
    }
}
