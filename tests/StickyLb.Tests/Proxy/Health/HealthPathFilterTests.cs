using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Tests.Proxy.Health;

public sealed class HealthPathFilterTests
{
    [Theory]
    [InlineData(true, "/healthz")]
    [InlineData(false, "/")]
    public async Task WithoutAnOptionTheProbeAsksHealthzOfSpawnedBackendsAndTheRootOfOthers(bool spawn, string expected)
    {
        var cluster = await Filter(spawn, null).ConfigureClusterAsync(Cluster(path: null), CancellationToken.None);

        Assert.Equal((true, expected), (cluster.HealthCheck!.Active!.Enabled, cluster.HealthCheck.Active.Path));
    }

    [Fact]
    public async Task WithoutAnOptionAPathTheConfigurationNamesStays()
    {
        var cluster = await Filter(spawn: false, null).ConfigureClusterAsync(Cluster(path: "/status"), CancellationToken.None);

        Assert.Equal("/status", cluster.HealthCheck!.Active!.Path);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheOptionsPathWinsAndTurnsActiveProbesOn(bool spawn)
    {
        var cluster = await Filter(spawn, "/ready").ConfigureClusterAsync(Cluster(path: "/status", enabled: false), CancellationToken.None);

        Assert.Equal((true, "/ready"), (cluster.HealthCheck!.Active!.Enabled, cluster.HealthCheck.Active.Path));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    public async Task NoneTurnsActiveProbesOffAndLeavesPassiveHealth(string none)
    {
        var configured = Cluster(path: null);

        var cluster = await Filter(spawn: false, none).ConfigureClusterAsync(configured, CancellationToken.None);

        Assert.False(cluster.HealthCheck!.Active!.Enabled);
        Assert.Equal(configured.HealthCheck!.Passive, cluster.HealthCheck.Passive);
        Assert.Equal("ConsecutiveFailuresSinceStart", cluster.HealthCheck.Active.Policy);
    }

    [Fact]
    public async Task AClusterWithoutHealthSettingsGetsThePath()
    {
        var cluster = await Filter(spawn: false, null).ConfigureClusterAsync(new ClusterConfig { ClusterId = "backends" }, CancellationToken.None);

        Assert.Equal("/", cluster.HealthCheck!.Active!.Path);
    }

    [Fact]
    public async Task AnotherClusterIsLeftAlone()
    {
        var other = Cluster(path: null) with { ClusterId = "other" };

        var cluster = await Filter(spawn: false, "/ready").ConfigureClusterAsync(other, CancellationToken.None);

        Assert.Same(other, cluster);
    }

    private static HealthPathFilter Filter(bool spawn, string? healthPath) =>
        new(Options.Create(new GatewayOptions { Spawn = spawn, HealthPath = healthPath }));

    private static ClusterConfig Cluster(string? path, bool enabled = true) => new()
    {
        ClusterId = "backends",
        HealthCheck = new HealthCheckConfig
        {
            Active = new ActiveHealthCheckConfig { Enabled = enabled, Interval = TimeSpan.FromSeconds(1), Policy = "ConsecutiveFailuresSinceStart", Path = path },
            Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = "BackendFaults" },
        },
    };
}
