using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>Draining a backend, as HAProxy users do before a planned restart, with the real gateway and backends.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class DrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADrainingBackendKeepsItsPinnedUsersWithTheirSessionsTakesNoNewOneAndReadyRestoresIt()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "book-" + user.Name });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        using var drain = await gateway.Admin.PostAsync("/api/backends/2/drain", null);
        using var again = await gateway.Admin.PostAsync("/api/backends/2/drain", null);
        using var newcomers = await LogInNewcomersAsync(gateway, "drained", 30);
        var visits = new List<(LoggedInUser User, WhoAmIResponse WhoAmI, CartResponse Cart)>();
        foreach (var user in users)
        {
            visits.Add((user, await user.Client.WhoAmIAsync(), (await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart"))!));
        }

        var drained = (await gateway.GetBackendsAsync()).Single(b => b.Id == "2");
        using var ready = await gateway.Admin.PostAsync("/api/backends/2/ready", null);
        using var afterReady = await LogInNewcomersAsync(gateway, "ready", 30);

        Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
        Assert.Equal("draining", (await drain.Content.ReadFromJsonAsync<BackendInfo>())!.State);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains(users, u => u.Backend == "2");
        // Nobody new is pinned to the draining backend...
        Assert.DoesNotContain(newcomers, n => n.Backend == "2");
        // ...while everyone pinned there before stays there, logged in, cart intact.
        Assert.All(visits, v => Assert.Equal(
            (v.User.Backend, v.User.Name, v.User.Visits + 1, "book-" + v.User.Name),
            (v.WhoAmI.Backend, v.WhoAmI.User, v.WhoAmI.Visits, string.Join(',', v.Cart.Items))));
        Assert.Equal(("draining", "healthy"), (drained.State, drained.Health));
        Assert.Equal(users.Count(u => u.Backend == "2"), drained.Sessions);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("running", (await ready.Content.ReadFromJsonAsync<BackendInfo>())!.State);
        Assert.Contains(afterReady, n => n.Backend == "2");
        Assert.Contains(gateway.Output.Split('\n'), l => l.Contains("Backend 2 is draining", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlannedRestartAfterADrainLosesNoActiveSession()
    {
        // Sessions end after 3 s without a request: drain, let them end, stop (memory mode).
        await using var gateway = await GatewayProcess.StartAsync(output, "--idle-timeout", "3");
        using var users = await LoggedInUser.LogInAsync(gateway, 12);
        var target = users.GroupBy(u => u.Backend).MaxBy(g => g.Count())!.Key;
        var leaving = users.Where(u => u.Backend == target).ToList();
        var staying = users.Where(u => u.Backend != target).ToList();
        using var drain = await gateway.Admin.PostAsync($"/api/backends/{target}/drain", null);
        using (var logout = await leaving[0].Client.Http.PostAsync("/logout", null))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        // The others keep working while the drained backend's users finish (logged out, or idle).
        using var stop = new CancellationTokenSource();
        var working = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var user in staying)
                {
                    await user.Client.WhoAmIAsync();
                }

                // Real time on purpose: the stayers ask twice a second, well within the 3 s idle timeout that ends the others' sessions.
                await Task.Delay(500);
            }
        });
        var ended = await gateway.WaitForBackendAsync(target, b => b.Sessions == 0, TimeSpan.FromSeconds(15));
        await StickySessionTests.KillBackendAsync(gateway, target, KillMethod.AdminApi);
        await stop.CancelAsync();
        await working;
        var after = new List<(LoggedInUser User, WhoAmIResponse WhoAmI)>();
        foreach (var user in staying)
        {
            after.Add((user, await user.Client.WhoAmIAsync()));
        }

        var returning = await leaving[1].Client.LoginAsync(leaving[1].Name);

        Assert.True(leaving.Count >= 2, $"Only {leaving.Count} user(s) on backend {target}.");
        Assert.Equal(("draining", 0), (ended.State, ended.Sessions));
        // Nobody active lost a session to the stop: the stayers kept theirs, on their backends.
        Assert.All(after, a => Assert.Equal((a.User.Name, a.User.Backend), (a.WhoAmI.User, a.WhoAmI.Backend)));
        // The idle user comes back later, logs in again, and lands on a running backend.
        Assert.NotEqual(target, returning.Backend);
    }

    [Fact]
    public async Task ADrainingBackendThatDiesFollowsTheFailoverPolicyAndItsUsersGoElsewhere()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var users = await LoggedInUser.LogInAsync(gateway, 12);
        using var drain = await gateway.Admin.PostAsync("/api/backends/2/drain", null);

        await StickySessionTests.KillBackendAsync(gateway, "2", KillMethod.AdminApi);
        var moved = new List<WhoAmIResponse>();
        foreach (var user in users.Where(u => u.Backend == "2"))
        {
            moved.Add(await user.Client.WhoAmIAsync());
        }

        using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);

        Assert.NotEmpty(moved);
        // Redistribute: re-pinned to a backend that takes new clients; memory mode: the session is gone.
        Assert.All(moved, m => Assert.Equal((false, (string?)null), (m.Backend == "2", m.User)));
        Assert.Equal("draining", (await start.Content.ReadFromJsonAsync<BackendInfo>())!.State);
    }

    [Fact]
    public async Task TheConfigurationCanDrainABackendAndTheAdminApiCannotUndoIt()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--ReverseProxy:Clusters:backends:Destinations:3:Metadata:Drain", "true");
        using var newcomers = await LogInNewcomersAsync(gateway, "user", 20);
        using var ready = await gateway.Admin.PostAsync("/api/backends/3/ready", null);
        using var unknown = await gateway.Admin.PostAsync("/api/backends/9/drain", null);

        Assert.DoesNotContain(newcomers, n => n.Backend == "3");
        Assert.Equal("draining", (await gateway.GetBackendsAsync()).Single(b => b.Id == "3").State);
        Assert.Equal(HttpStatusCode.Conflict, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ADrainWrittenInTheConfigurationFileIsPickedUpWhenTheFileIsSavedAndEndsWhenItIsRemoved()
    {
        // An environment of its own: the gateway also reads appsettings.<environment>.json, watched for changes.
        var environment = "drain-" + Guid.NewGuid().ToString("N");
        var file = Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json");
        static string Drain(bool drain) =>
            $$"""{ "ReverseProxy": { "Clusters": { "backends": { "Destinations": { "3": { "Metadata": { "Drain": "{{(drain ? "true" : "false")}}" } } } } } } }""";
        await File.WriteAllTextAsync(file, Drain(false));
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(output, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = environment });
            var before = (await gateway.GetBackendsAsync()).Single(b => b.Id == "3").State;

            await File.WriteAllTextAsync(file, Drain(true));
            var drained = await gateway.WaitForBackendAsync("3", b => b.State == "draining", TimeSpan.FromSeconds(10));
            using var newcomers = await LogInNewcomersAsync(gateway, "user", 15);
            await File.WriteAllTextAsync(file, Drain(false));
            var ready = await gateway.WaitForBackendAsync("3", b => b.State == "running", TimeSpan.FromSeconds(10));

            Assert.Equal(("running", "draining", "running"), (before, drained.State, ready.State));
            Assert.DoesNotContain(newcomers, n => n.Backend == "3");
            Assert.Contains(gateway.Output.Split('\n'), l => l.Contains("Backend 3 is draining, as the configuration says", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TwoGatewaysInFrontOfTheSameBackendsRouteAClientAlikeWhicheverItReaches()
    {
        await using var first = await GatewayProcess.StartAsync(output);
        var backends = await first.GetBackendsAsync();
        var destinations = backends.SelectMany(b => new[] { $"--ReverseProxy:Clusters:backends:Destinations:{b.Id}:Address", b.Address }).ToArray();
        // BackendApp's home page opens a session: the probe asks its /healthz, as a user's own app's health path.
        await using var second = await GatewayProcess.StartAsync(output, ["--spawn", "false", "--health-path", "/healthz", .. destinations]);
        using var users = await LoggedInUser.LogInAsync(first, 9);

        var throughSecond = new List<(LoggedInUser User, WhoAmIResponse WhoAmI)>();
        foreach (var user in users)
        {
            // The same browser, its cookies (server=N and the session) now sent to the other gateway.
            using var elsewhere = new UserClient(second.GatewayUrl);
            foreach (System.Net.Cookie cookie in user.Client.Cookies.GetCookies(first.GatewayUrl))
            {
                elsewhere.Cookies.Add(second.GatewayUrl, new System.Net.Cookie(cookie.Name, cookie.Value));
            }

            throughSecond.Add((user, await elsewhere.WhoAmIAsync()));
        }

        Assert.Equal(3, users.Select(u => u.Backend).Distinct().Count());
        Assert.All(throughSecond, t => Assert.Equal((t.User.Backend, t.User.Name, t.User.Visits + 1), (t.WhoAmI.Backend, t.WhoAmI.User, t.WhoAmI.Visits)));
    }

    /// <summary>New users who log in one after another: where the gateway pins each.</summary>
    private static async Task<LoggedInUsers> LogInNewcomersAsync(GatewayProcess gateway, string prefix, int count)
    {
        var users = new LoggedInUsers();
        for (var i = 0; i < count; i++)
        {
            var client = gateway.NewUser();
            try
            {
                var whoAmI = await client.LoginAsync($"{prefix}{i}");
                users.Add(new LoggedInUser(client, whoAmI.User!, whoAmI.Backend, whoAmI.Visits));
            }
            catch
            {
                client.Dispose();
                users.Dispose();
                throw;
            }
        }

        return users;
    }
}
