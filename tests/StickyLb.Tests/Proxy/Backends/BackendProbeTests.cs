using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Backends;

public sealed class BackendProbeTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("/", null)]
    [InlineData("none", null)]
    [InlineData(null, "/ready")]
    public async Task AnAppTheGatewayDoesNotRunIsNeverAskedForAHealthReportItsProbeDoesNotUse(string? healthPath, string? configuredPath)
    {
        using var app = new TcpListener(IPAddress.Loopback, 0);
        app.Start();
        using var probe = Probe(new GatewayOptions { Spawn = false, HealthPath = healthPath }, configuredPath);

        var report = await probe.GetHealthAsync(new Uri($"http://127.0.0.1:{((IPEndPoint)app.LocalEndpoint).Port}"), CancellationToken.None);

        Assert.Null(report);
        Assert.False(app.Pending(), "The probe connected to an app that has no /healthz.");
    }

    [Theory]
    [InlineData(true, null, null)]
    [InlineData(false, "/healthz", null)]
    [InlineData(false, null, "/healthz")]
    public async Task ABackendAppIsAskedWhenTheGatewaySpawnedItOrItsProbeAsksHealthzToo(bool spawn, string? healthPath, string? configuredPath)
    {
        using var app = new TcpListener(IPAddress.Loopback, 0);
        app.Start();
        using var probe = Probe(new GatewayOptions { Spawn = spawn, HealthPath = healthPath }, configuredPath);

        var asking = probe.GetHealthAsync(new Uri($"http://127.0.0.1:{((IPEndPoint)app.LocalEndpoint).Port}"), CancellationToken.None);
        using var connection = await app.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(probe.AsksBackends);
        connection.Close();
        Assert.Null(await asking);
    }

    private static BackendProbe Probe(GatewayOptions options, string? configuredPath) =>
        new(Options.Create(options), new ConfigurationBuilder()
            .AddInMemoryCollection(configuredPath is null ? [] : [KeyValuePair.Create<string, string?>("ReverseProxy:Clusters:backends:HealthCheck:Active:Path", configuredPath)])
            .Build());
}
