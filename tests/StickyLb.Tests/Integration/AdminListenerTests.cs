using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// The admin listener's protection through the real gateway process: a token off loopback, and cross-site
/// and DNS-rebinding requests refused on loopback (issue 26). A non-loopback listener is bound to 0.0.0.0 on a
/// free port and reached through 127.0.0.1: the listener's address decides, and no external address is used.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class AdminListenerTests(ITestOutputHelper output)
{
    private const string Token = "admin-token-7f3c9a1e5b2d";

    [Fact]
    public async Task AnAdminListenerOffLoopbackWithoutATokenRefusesToStartInOneLine()
    {
        await using var gateway = GatewayProcess.Launch(output, "--admin-listen", AnyAddress());

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stickylb: The admin listener 'http://0.0.0.0:", line, StringComparison.Ordinal);
        Assert.Contains("STICKYLB_ADMIN_TOKEN", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminPortWithAdminListenIsOneLineThatDoesNotShowTheToken()
    {
        await using var gateway = GatewayProcess.Launch(
            output, TokenEnvironment(), "--admin-listen", AnyAddress(), "--admin-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture));

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stickylb: The options --admin-port (Gateway:AdminPort) and --admin-listen (Gateway:AdminListen) exclude each other", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OffLoopbackAWrongOrMissingTokenGets401AndChangesNothing()
    {
        // Debug: the refusals are logged, so that the log can be searched for the token too.
        await using var gateway = await GatewayProcess.StartAsync(
            output, TokenEnvironment(), "--backends", "1", "--admin-listen", AnyAddress(), "--Logging:LogLevel:StickyLb", "Debug");
        var pid = (await gateway.GetBackendsAsync()).Single().Pid;
        using var stranger = new HttpClient { BaseAddress = gateway.AdminUrl };
        using var wrong = new HttpClient { BaseAddress = gateway.AdminUrl };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token + "x");

        using var noToken = await stranger.GetAsync("/api/backends");
        using var wrongToken = await wrong.GetAsync("/api/backends");
        using var metrics = await wrong.GetAsync("/metrics");
        using var kill = await wrong.PostAsync("/api/backends/1/kill", null);

        Assert.Contains(GatewayLifecycleTests.ListeningSockets(), s => s.Port == gateway.AdminUrl.Port && s.Address.Equals(IPAddress.Any));
        Assert.All([noToken, wrongToken, metrics, kill], response =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        });
        var backend = (await gateway.GetBackendsAsync()).Single();
        Assert.Equal(("running", pid), (backend.State, backend.Pid));
        await gateway.WaitForLineAsync(l => l.Contains("AdminRequestGuard[3010]", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OffLoopbackTheRightTokenOpensTheApiMetricsAndDashboardAndIsShownNowhere()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, TokenEnvironment(), "--backends", "1", "--admin-listen", AnyAddress());

        using var backends = await gateway.Admin.GetAsync("/api/backends");
        using var settings = await gateway.Admin.GetAsync("/api/settings");
        using var stats = await gateway.Admin.GetAsync("/api/stats");
        using var metrics = await gateway.Admin.GetAsync("/metrics");
        using var dashboard = await gateway.Admin.GetAsync("/");
        using var drain = await gateway.Admin.PostAsync("/api/backends/1/drain", null);

        Assert.All([backends, settings, stats, metrics, dashboard, drain], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Contains("stickylb_", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("StickyLb</title>", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in new[] { backends, settings, stats })
        {
            Assert.DoesNotContain(Token, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains(gateway.Output.Split('\n'), l => l.StartsWith(ReadyLine.Prefix, StringComparison.Ordinal));
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnLoopbackACrossSiteFormPostAndAForeignHostAreRefusedAndTheBackendsKeepRunning()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--backends", "2");
        var before = await gateway.GetBackendsAsync();

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/backends/1/kill") { Content = new FormUrlEncodedContent([]) };
        crossSite.Headers.Add("Origin", "http://evil.example");
        using var crossSiteResponse = await gateway.Admin.SendAsync(crossSite);
        using var rebound = new HttpRequestMessage(HttpMethod.Post, "/api/backends/2/kill");
        rebound.Headers.Host = $"evil.example:{gateway.AdminUrl.Port}";
        using var reboundResponse = await gateway.Admin.SendAsync(rebound);
        using var reboundRead = new HttpRequestMessage(HttpMethod.Get, "/api/backends");
        reboundRead.Headers.Host = $"evil.example:{gateway.AdminUrl.Port}";
        using var reboundReadResponse = await gateway.Admin.SendAsync(reboundRead);

        Assert.All([crossSiteResponse, reboundResponse, reboundReadResponse], response =>
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        });
        var after = await gateway.GetBackendsAsync();
        Assert.Equal(before.Select(b => (b.Id, "running", b.Pid)), after.Select(b => (b.Id, b.State, b.Pid)));
        Assert.All(after, b => Assert.True(Posix.IsAlive(b.Pid!.Value), $"Backend {b.Id} (pid {b.Pid}) is gone."));
        await gateway.WaitForLineAsync(l => l.Contains("AdminRequestGuard[3011]", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        await gateway.WaitForLineAsync(l => l.Contains("AdminRequestGuard[3012]", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task OnLoopbackASameOriginPostAndAPostWithoutOriginStillWork()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--backends", "1");
        var origin = gateway.AdminUrl.GetLeftPart(UriPartial.Authority);

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/backends/1/drain");
        sameOrigin.Headers.Add("Origin", origin);
        using var drained = await gateway.Admin.SendAsync(sameOrigin);
        var drainedState = (await gateway.GetBackendsAsync()).Single().State;
        using var localhost = new HttpRequestMessage(HttpMethod.Put, "/api/settings") { Content = JsonContent.Create(new { failover = "Return503Error" }) };
        localhost.Headers.Host = $"localhost:{gateway.AdminUrl.Port}";
        localhost.Headers.Add("Origin", $"http://localhost:{gateway.AdminUrl.Port}");
        using var flipped = await gateway.Admin.SendAsync(localhost);
        using var withoutOrigin = await gateway.Admin.PostAsync("/api/backends/1/ready", null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (drained.StatusCode, flipped.StatusCode, withoutOrigin.StatusCode));
        Assert.Equal("draining", drainedState);
        Assert.Equal("running", (await gateway.GetBackendsAsync()).Single().State);
        Assert.Equal("Return503Error", (await gateway.Admin.GetFromJsonAsync<StickyLb.Proxy.Admin.GatewaySettings>("/api/settings"))!.Failover);
    }

    private static string AnyAddress() => $"http://0.0.0.0:{FreePorts.Next()}";

    private static Dictionary<string, string> TokenEnvironment() => new() { [GatewayOptions.AdminTokenVariable] = Token };
}
