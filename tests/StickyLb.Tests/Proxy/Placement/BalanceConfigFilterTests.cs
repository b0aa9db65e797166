using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Placement;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Tests.Proxy.Placement;

public sealed class BalanceConfigFilterTests
{
    [Theory]
    [InlineData(null, null, true, "LeastSessions")]
    [InlineData(null, null, false, "RoundRobin")]
    [InlineData(null, "PowerOfTwoChoices", true, "PowerOfTwoChoices")]
    [InlineData(" RoundRobin ", "PowerOfTwoChoices", true, "RoundRobin")]
    [InlineData("LeastSessions", null, false, "LeastSessions")]
    public async Task TheClusterPolicyIsBalanceElseTheConfiguredOneElseTheDefaultForItsAffinity(string? balance, string? configured, bool affinity, string expected)
    {
        var filter = new BalanceConfigFilter(Options.Create(new GatewayOptions { Balance = balance }));
        var cluster = new ClusterConfig
        {
            ClusterId = GatewayOptions.ClusterId,
            LoadBalancingPolicy = configured,
            SessionAffinity = new SessionAffinityConfig { Enabled = affinity },
        };

        var filtered = await filter.ConfigureClusterAsync(cluster, CancellationToken.None);

        Assert.Equal(expected, filtered.LoadBalancingPolicy);
    }
}
