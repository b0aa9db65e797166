using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>Start-up, shutdown and exposure of the real gateway process.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class GatewayLifecycleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Posix.SigTerm)]
    [InlineData(Posix.SigInt)]
    public async Task StoppingTheGatewayStopsEveryBackendItStarted(int signal)
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        var pids = (await gateway.GetBackendsAsync()).Select(b => b.Pid!.Value).ToList();
        Assert.Equal(3, pids.Count(Posix.IsAlive));

        gateway.Signal(signal);
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(0, exitCode);
        foreach (var pid in pids)
        {
            Assert.True(await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(5)), $"Backend pid {pid} outlived the gateway.");
        }
    }

    [Fact]
    public async Task BackendsStopByThemselvesWhenTheGatewayIsKilled()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        var pids = (await gateway.GetBackendsAsync()).Select(b => b.Pid!.Value).ToList();

        gateway.Signal(Posix.SigKill);

        foreach (var pid in pids)
        {
            Assert.True(await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(10)), $"Backend pid {pid} was orphaned.");
        }
    }

    [Fact]
    public async Task AdminApiIsNotReachableThroughTheGatewayPort()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var client = new HttpClient { BaseAddress = gateway.GatewayUrl };

        using var backends = await client.GetAsync("/api/backends");
        using var kill = await client.PostAsync("/api/backends/1/kill", null);
        using var settings = await client.PutAsJsonAsync("/api/settings", new { failover = "Return503Error" });
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/api/backends");
        spoofed.Headers.Host = gateway.AdminUrl.Authority;
        using var spoofedResponse = await client.SendAsync(spoofed);
        using var dashboard = await client.GetAsync("/");

        // Each of these went to a backend (X-Backend), which has no such endpoint.
        Assert.All([backends, kill, settings, spoofedResponse], r =>
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.True(r.Headers.Contains("X-Backend"));
        });
        Assert.DoesNotContain("StickyLb</title>", await dashboard.Content.ReadAsStringAsync());
        Assert.All(await gateway.GetBackendsAsync(), b => Assert.Equal("running", b.State));
        Assert.Equal("Redistribute", (await gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings"))!.Failover);
    }

    [Fact]
    public async Task GatewayRoutesDoNotExistOnTheAdminPort()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);

        using var response = await gateway.Admin.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Backend"));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task EveryListenerIsBoundToLoopbackOnly()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        int[] ports = [gateway.GatewayUrl.Port, gateway.AdminUrl.Port, gateway.BackendPort, gateway.BackendPort + 1, gateway.BackendPort + 2];

        var listening = ListeningSockets();

        foreach (var port in ports)
        {
            var addresses = listening.Where(s => s.Port == port).Select(s => s.Address).ToList();
            Assert.NotEmpty(addresses);
            Assert.All(addresses, a => Assert.True(IPAddress.IsLoopback(a), $"Port {port} listens on {a}."));
        }
    }

    [Fact]
    public async Task WithSpawnFalseTheGatewayProxiesToConfiguredDestinationsAndStartsNothing()
    {
        var backendPort = FreePorts.Next();
        using var backend = BackendAppProcess.Start("7", backendPort);
        await backend.WaitUntilReadyAsync();
        var address = $"http://127.0.0.1:{backendPort}";

        await using var gateway = await GatewayProcess.StartAsync(
            output,
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", address,
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", address,
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", address);
        using var user = gateway.NewUser();
        var whoAmI = await user.WhoAmIAsync();
        var backends = await gateway.GetBackendsAsync();
        using var kill = await gateway.Admin.PostAsync("/api/backends/1/kill", null);

        Assert.Equal("7", whoAmI.Backend);
        Assert.Equal(3, backends.Length);
        Assert.All(backends, b => Assert.Equal((address, (int?)null), (b.Address, b.Pid)));
        Assert.Equal(HttpStatusCode.Conflict, kill.StatusCode);
        Assert.True(backend.IsRunning);
    }

    [Fact]
    public async Task WithSpawnFalseADeadBackendLeavesRotationOnItsFirstFailedRequest()
    {
        var (port1, port2) = (FreePorts.Next(), FreePorts.Next());
        using var backend1 = BackendAppProcess.Start("1", port1);
        using var backend2 = BackendAppProcess.Start("2", port2);
        await Task.WhenAll(backend1.WaitUntilReadyAsync(), backend2.WaitUntilReadyAsync());
        await using var gateway = await GatewayProcess.StartAsync(
            output,
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", $"http://127.0.0.1:{port1}",
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", $"http://127.0.0.1:{port2}",
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", $"http://127.0.0.1:{port2}");
        // Every request is pinned to backend 1 by hand, so each one asks for the backend that dies.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.GatewayUrl };
        async Task<(HttpStatusCode Status, string? Backend, string SetCookie)> PinnedTo1Async()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", "server=1" } } };
            using var response = await client.SendAsync(request);
            return (response.StatusCode,
                response.Headers.TryGetValues("X-Backend", out var backend) ? backend.Single() : null,
                response.Headers.TryGetValues("Set-Cookie", out var cookies) ? string.Join(" | ", cookies) : "");
        }

        var before = await PinnedTo1Async();
        backend1.Kill();
        var first = await PinnedTo1Async();
        var second = await PinnedTo1Async();

        Assert.Equal((HttpStatusCode.OK, "1"), (before.Status, before.Backend));
        // The first request meets the dead backend itself (its kept-alive connection is gone, a new one is
        // refused): it takes backend 1 out and is still served elsewhere and re-pinned, as is the next.
        Assert.True(first is { Status: HttpStatusCode.OK, Backend: "2" }, $"first after the kill: {first}");
        Assert.Matches("(^| )server=[23];", first.SetCookie);
        Assert.True(second is { Status: HttpStatusCode.OK, Backend: "2" }, $"second after the kill: {second}");
        Assert.Matches("(^| )server=[23];", second.SetCookie);
    }

    [Theory]
    [InlineData("failover 'sideways'", "--failover", "sideways")]
    [InlineData("store 'disk'", "--store", "disk")]
    [InlineData("backends '17'", "--backends", "17")]
    [InlineData("backends '0'", "--backends", "0")]
    [InlineData("port 'http'", "--port", "http")]
    [InlineData("spawn 'maybe'", "--spawn", "maybe")]
    [InlineData("redis '127.0.0.1:6379,password=*****,bogus=1'", "--redis", "127.0.0.1:6379,password=hunter2,bogus=1")]
    [InlineData("affinity 'sometimes'", "--affinity", "sometimes")]
    [InlineData("rebalance '1.25' (--rebalance or Gateway:Rebalance): refused in memory mode", "--rebalance", "1.25")]
    [InlineData("balance 'Fastest'", "--balance", "Fastest")]
    [InlineData("--pin-max-idle (Gateway:PinMaxIdle) needs a key that every gateway shares", "--pin-max-idle", "600")]
    [InlineData("Unknown option '--prot'; did you mean '--port'?", "--prot", "5000")]
    [InlineData("Option '--store' needs a value", "--store")]
    [InlineData("Unexpected argument 'redis'", "redis")]
    public async Task ABadOptionStopsStartUpWithOneClearLine(string named, params string[] args)
    {
        await using var gateway = GatewayProcess.Launch(output, args);

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stickylb: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotContain("hunter2", gateway.Output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task HelpPrintsEveryOptionWithItsDefaultAndStartsNothing(string help)
    {
        await using var gateway = GatewayProcess.Launch(output, help);

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("StickyLb ready", gateway.Output, StringComparison.Ordinal);
        foreach (var option in StickyLb.Proxy.Gateway.GatewayCommandLine.Options)
        {
            Assert.Contains(option.Name, gateway.Output, StringComparison.Ordinal);
            Assert.Contains($"(default: {option.Default})", gateway.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task APortInUseStopsStartUpWithOneClearLineAndNoBackendLeft()
    {
        using var occupied = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;

        await using var gateway = GatewayProcess.Launch(output, "--port", port.ToString(CultureInfo.InvariantCulture));
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains(gateway.Output.Split('\n'), l => l.StartsWith("stickylb: ", StringComparison.Ordinal) && l.Contains("address already in use", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", gateway.Output);
        Assert.DoesNotContain(ListeningSockets(), s => s.Port >= gateway.BackendPort && s.Port < gateway.BackendPort + 3);
    }

    [Fact]
    public async Task AStoreThatDoesNotAnswerStopsStartUpWithOneClearLineAndNoBackend()
    {
        var nothing = $"127.0.0.1:{FreePorts.Next()}";

        await using var gateway = GatewayProcess.Launch(output, "--store", "redis", "--redis", nothing);
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"stickylb: The store at {nothing} (--redis) does not answer PING; start it or point --redis elsewhere.", line);
        Assert.DoesNotContain(ListeningSockets(), s => s.Port >= gateway.BackendPort && s.Port < gateway.BackendPort + 3);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEmbeddedStoreThatCannotStartStopsStartUpWithOneClearLineAndNoBackend(string kind)
    {
        // Something that is not a Redis-protocol server holds the store's port, so the store cannot bind it.
        using var occupied = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        await using var gateway = GatewayProcess.Launch(output, StoreServer.EmbeddedEnvironment(kind), "--store", "redis", "--store-port", port.ToString(CultureInfo.InvariantCulture));
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"stickylb: The embedded store ({kind}) could not start on 127.0.0.1:{port}: it exited with code ", line);
        Assert.DoesNotContain(ListeningSockets(), s => s.Port >= gateway.BackendPort && s.Port < gateway.BackendPort + 3);
    }

    /// <summary>The listening TCP sockets of this machine, from /proc/net/tcp and tcp6.</summary>
    internal static List<(IPAddress Address, int Port)> ListeningSockets()
    {
        const string Listen = "0A";
        var sockets = new List<(IPAddress, int)>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] != Listen)
                {
                    continue;
                }

                var local = fields[1].Split(':');
                var bytes = Convert.FromHexString(local[0]);
                // /proc prints each 32-bit word of the address in host (little-endian) order.
                for (var i = 0; i < bytes.Length; i += 4)
                {
                    Array.Reverse(bytes, i, 4);
                }

                sockets.Add((new IPAddress(bytes), int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return sockets;
    }
}
