extern alias proxy;

using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Model;
using HealthStatus = proxy::StickyLb.Shared.HealthStatus;

namespace StickyLb.Tests.Proxy.Health;

public sealed class DestinationHealthSignalTests
{
    [Theory]
    [InlineData(DestinationHealth.Unknown, DestinationHealth.Unknown, "unknown")]
    [InlineData(DestinationHealth.Healthy, DestinationHealth.Unknown, "healthy")]
    [InlineData(DestinationHealth.Unknown, DestinationHealth.Healthy, "healthy")]
    [InlineData(DestinationHealth.Unhealthy, DestinationHealth.Healthy, "unhealthy")]
    [InlineData(DestinationHealth.Healthy, DestinationHealth.Unhealthy, "unhealthy")]
    [InlineData(DestinationHealth.Unknown, DestinationHealth.Unhealthy, "unhealthy")]
    public void TheAdminApisWordIsUpExactlyWhenRoutingTakesTheDestination(DestinationHealth active, DestinationHealth passive, string expected)
    {
        var destination = new DestinationState("1") { Health = { Active = active, Passive = passive } };

        var described = DestinationHealthSignal.Describe(destination);

        Assert.Equal(expected, described);
        Assert.Equal(DestinationAvailability.IsUp(destination), HealthStatus.IsUp(described));
    }
}
