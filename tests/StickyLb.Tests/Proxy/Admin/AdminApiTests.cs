using System.Net;
using System.Net.Http.Json;
using System.Text;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Admin;

public sealed class AdminApiTests
{
    private static readonly string[] NotSpawned = ["--spawn", "false"];

    [Fact]
    public async Task SettingsReportTheStoreAndTheFailoverPolicyFromStartUp()
    {
        await using var gateway = await InProcessGateway.StartAsync([.. NotSpawned, "--failover", "503"]);

        var settings = await gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings");

        Assert.Equal(new GatewaySettings("memory", "Return503Error"), settings);
    }

    [Fact]
    public async Task TheStoreInMemoryModeHasNothingToReachAndNothingToAnswer()
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        var status = await gateway.Admin.GetFromJsonAsync<StoreStatus>("/api/store");

        Assert.Equal(("memory", null, null, null, null), (status!.Store, status.Kind, status.ServiceName, status.Answers, status.Primary));
        Assert.Empty(status.Endpoints);
    }

    [Theory]
    [InlineData("Return503Error", "Return503Error")]
    [InlineData("503", "Return503Error")]
    [InlineData("redistribute", "Redistribute")]
    public async Task PuttingTheFailoverPolicyFlipsItLive(string value, string expected)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var put = await gateway.Admin.PutAsJsonAsync("/api/settings", new { failover = value });
        var settings = await gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(expected, settings!.Failover);
        Assert.Equal(expected, ((FailoverSwitch)gateway.Services.GetService(typeof(FailoverSwitch))!).Current.ToString());
    }

    [Theory]
    [InlineData("application/json", "{\"failover\":\"sideways\"}", HttpStatusCode.BadRequest, "Invalid failover 'sideways'")]
    [InlineData("application/json", "{\"store\":\"redis\"}", HttpStatusCode.BadRequest, "The store cannot change")]
    [InlineData("application/json", "{\"failover\":", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("application/json", "", HttpStatusCode.BadRequest, null)]
    [InlineData("text/plain", "Return503Error", HttpStatusCode.BadRequest, "Content-Type: application/json")]
    public async Task BadSettingsAreAProblemAndChangeNothing(string contentType, string body, HttpStatusCode status, string? detail)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var put = await gateway.Admin.PutAsync("/api/settings", new StringContent(body, Encoding.UTF8, contentType));
        var settings = await gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings");

        Assert.Equal(status, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        if (detail is not null)
        {
            Assert.Contains(detail, (await put.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["detail"].ToString());
        }

        Assert.Equal(new GatewaySettings("memory", "Redistribute"), settings);
    }

    [Theory]
    [InlineData("{\"users\":501}", "'users' must be a whole number from 0 to 500")]
    [InlineData("{\"users\":3,\"visitSeconds\":-1}", "'visitSeconds' must be a whole number from 0")]
    [InlineData("{\"users\":3,\"visitSeconds\":3601}", "'visitSeconds' must be a whole number from 0")]
    public async Task BadSimulationSettingsAreAProblemAndStartNoUser(string body, string detail)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var put = await gateway.Admin.PutAsync("/api/simulation", new StringContent(body, Encoding.UTF8, "application/json"));
        var status = await gateway.Admin.GetFromJsonAsync<StickyLb.Proxy.Simulation.SimulationStatus>("/api/simulation");

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, (await put.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["detail"].ToString());
        Assert.Equal((0, 0), (status!.Users, status.VisitSeconds));
    }

    [Fact]
    public async Task StatsStartAtZero()
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");

        Assert.Equal(new AffinitySnapshot(0, 0, 0, 0, 0, 0, new AffinityMisses(0, 0, 0, 0, 0)), stats!.Affinity);
        Assert.Empty(stats.Requests);
    }

    [Theory]
    [InlineData("kill")]
    [InlineData("start")]
    public async Task KillAndStartAreAConflictWhenTheGatewaySpawnedNothing(string verb)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var response = await gateway.Admin.PostAsync($"/api/backends/1/{verb}", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("--spawn false", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BackendsOfAGatewayThatSpawnedNothingAreItsConfiguredDestinations()
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        var backends = await gateway.Admin.GetFromJsonAsync<BackendInfo[]>("/api/backends") ?? [];

        Assert.Equal(["1", "2", "3"], backends.Select(b => b.Id));
        Assert.All(backends, b => Assert.Null(b.Pid));
        Assert.Equal("http://127.0.0.1:5101", backends[0].Address);
    }

    [Theory]
    [InlineData("/api/nothing")]
    [InlineData("/favicon.ico")]
    [InlineData("/whoami")]
    public async Task AnUnknownAdminPathIsA404Problem(string path)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var response = await gateway.Admin.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TheAdminPageIsServedOnTheAdminPortOnly()
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        var page = await gateway.Admin.GetStringAsync("/");
        using var viaGateway = await gateway.Gateway.GetAsync("/");

        Assert.Contains("<title>StickyLb</title>", page);
        Assert.DoesNotContain("<title>StickyLb</title>", await viaGateway.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/", "text/html", "<script src=\"/dashboard.js\"></script>")]
    [InlineData("/dashboard.css", "text/css", "--ok:")]
    [InlineData("/dashboard.js", "text/javascript", "async function refresh()")]
    public async Task TheDashboardsFilesAreServedOnTheAdminPortOnlyAndRevalidatedByETag(string path, string mediaType, string excerpt)
    {
        await using var gateway = await InProcessGateway.StartAsync(NotSpawned);

        using var first = await gateway.Admin.GetAsync(path);
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var revalidated = await gateway.Admin.SendAsync(again);
        using var viaGateway = await gateway.Gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(mediaType, first.Content.Headers.ContentType?.MediaType);
        Assert.Contains(excerpt, await first.Content.ReadAsStringAsync());
        Assert.True(first.Headers.CacheControl?.NoCache);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.DoesNotContain(excerpt, await viaGateway.Content.ReadAsStringAsync());
    }

    [Fact]
    public void BuildingWithABadOptionExplainsInsteadOfThrowing()
    {
        var built = GatewayApp.TryBuild(["--failover", "sideways"], out var app, out var error);

        Assert.False(built);
        Assert.Null(app);
        Assert.StartsWith("Invalid failover 'sideways'", error);
    }
}
