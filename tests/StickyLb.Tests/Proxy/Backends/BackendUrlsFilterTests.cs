using Microsoft.Extensions.Options;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;

namespace StickyLb.Tests.Proxy.Backends;

public sealed class BackendUrlsFilterTests
{
    private static readonly ClusterConfig Configured = new()
    {
        ClusterId = "backends",
        LoadBalancingPolicy = "RoundRobin",
        Destinations = new Dictionary<string, DestinationConfig>
        {
            ["1"] = new() { Address = "http://127.0.0.1:5101", Metadata = new Dictionary<string, string> { ["Drain"] = "true" } },
            ["2"] = new() { Address = "http://127.0.0.1:5102" },
            ["3"] = new() { Address = "http://127.0.0.1:5103" },
            ["4"] = new() { Address = "http://127.0.0.1:5104" },
        },
    };

    [Fact]
    public async Task TheDestinationsAreTheBackendUrlsNumberedInTheOrderGiven()
    {
        var filter = Filter(spawn: false, "http://10.0.0.7:8080", "https://app.example.com/base/");

        var cluster = await filter.ConfigureClusterAsync(Configured, CancellationToken.None);

        Assert.Equal(
            [("1", "http://10.0.0.7:8080"), ("2", "https://app.example.com/base/")],
            cluster.Destinations!.OrderBy(d => d.Key).Select(d => (d.Key, d.Value.Address)));
        Assert.Equal("RoundRobin", cluster.LoadBalancingPolicy);
    }

    [Fact]
    public async Task EachIdKeepsTheMetadataTheConfigurationGivesIt()
    {
        var filter = Filter(spawn: false, "http://10.0.0.7:8080", "http://10.0.0.8:8080");

        var cluster = await filter.ConfigureClusterAsync(Configured, CancellationToken.None);

        Assert.Equal("true", cluster.Destinations!["1"].Metadata!["Drain"]);
        Assert.Null(cluster.Destinations["2"].Metadata);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutBackendUrlsTheConfiguredDestinationsStay(bool spawn)
    {
        var filter = Filter(spawn);

        var cluster = await filter.ConfigureClusterAsync(Configured, CancellationToken.None);

        Assert.Same(Configured, cluster);
    }

    [Fact]
    public async Task AnotherClusterIsLeftAlone()
    {
        var other = Configured with { ClusterId = "other" };

        var cluster = await Filter(spawn: false, "http://10.0.0.7:8080").ConfigureClusterAsync(other, CancellationToken.None);

        Assert.Same(other, cluster);
    }

    private static BackendUrlsFilter Filter(bool spawn, params string[] urls) =>
        new(Options.Create(new GatewayOptions { Spawn = spawn, Backend = [.. urls] }));
}
