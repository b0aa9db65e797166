using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Store;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Tests.Proxy.Store;

public sealed class StoreOutageFilterTests
{
    private static readonly ClusterConfig Backends = new()
    {
        ClusterId = "backends",
        HealthCheck = new HealthCheckConfig { AvailableDestinationsPolicy = "HealthyAndUnknown", Active = new ActiveHealthCheckConfig { Enabled = true } },
    };

    [Fact]
    public async Task InRedisModeAStoreOutageStillReachesTheBackends()
    {
        var filter = new StoreOutageFilter(Options.Create(new GatewayOptions { Store = StoreMode.Redis }));

        var cluster = await filter.ConfigureClusterAsync(Backends, CancellationToken.None);

        Assert.Equal("HealthyOrPanic", cluster.HealthCheck!.AvailableDestinationsPolicy);
        Assert.True(cluster.HealthCheck.Active!.Enabled);
    }

    [Fact]
    public async Task InMemoryModeTheConfiguredPolicyStays()
    {
        var filter = new StoreOutageFilter(Options.Create(new GatewayOptions { Store = StoreMode.Memory }));

        var cluster = await filter.ConfigureClusterAsync(Backends, CancellationToken.None);

        Assert.Same(Backends, cluster);
    }
}
