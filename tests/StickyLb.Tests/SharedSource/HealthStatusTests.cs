extern alias proxy;

using HealthStatus = proxy::StickyLb.Shared.HealthStatus;

namespace StickyLb.Tests.SharedSource;

public sealed class HealthStatusTests
{
    [Theory]
    [InlineData("healthy", true)]
    [InlineData("unknown", true)]
    [InlineData("unhealthy", false)]
    public void OnlyUnhealthyIsDown(string status, bool up)
    {
        Assert.Equal(up, HealthStatus.IsUp(status));
    }

    [Fact]
    public void TheWordsAreTheOnesTheAdminApiAndHealthzSay()
    {
        Assert.Equal(["healthy", "unhealthy", "unknown"], [HealthStatus.Healthy, HealthStatus.Unhealthy, HealthStatus.Unknown]);
    }
}
