using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Playwright;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Compare;
using StickyLb.Proxy.Simulation;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>The dashboard and the compare chart in real headless Chromium.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task OffLoopbackTheDashboardAsksForTheTokenOnceAndKeepsItForTheBrowserSession()
    {
        const string Token = "dashboard-token-4e1b";
        await using var gateway = await GatewayProcess.StartAsync(
            output, new Dictionary<string, string> { [StickyLb.Proxy.Gateway.GatewayOptions.AdminTokenVariable] = Token },
            "--backends", "1", "--admin-listen", $"http://0.0.0.0:{StickyLb.Proxy.Gateway.FreePorts.Next()}");
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(gateway.AdminUrl.ToString());
        await Assertions.Expect(page.GetByTestId("token-dialog")).ToBeVisibleAsync(new() { Timeout = 5000 });
        var cardsBeforeToken = await page.GetByTestId("backend-1").CountAsync();
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-token-prompt"));
        await page.GetByTestId("token").FillAsync("not-the-token");
        await page.GetByTestId("token-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("token-message")).ToHaveTextAsync("That token was refused; try again.", new() { Timeout = 5000 });
        await page.GetByTestId("token").FillAsync(Token);
        await page.GetByTestId("token-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("state-1")).ToHaveTextAsync("running", new() { Timeout = 5000 });
        await page.GetByTestId("drain-1").ClickAsync();
        await Assertions.Expect(page.GetByTestId("state-1")).ToHaveTextAsync("draining", new() { Timeout = 3000 });
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("state-1")).ToHaveTextAsync("draining", new() { Timeout = 5000 });
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-with-admin-token"));

        Assert.Equal(0, cardsBeforeToken);
        await Assertions.Expect(page.GetByTestId("token-dialog")).Not.ToBeVisibleAsync();
        Assert.Equal("draining", (await gateway.GetBackendsAsync()).Single().State);
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task TheHomePagesLiveButtonCountsOnALiveConnectionThatTheDashboardShowsAndAKillEnds()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var home = browser.Page;
        var count = home.Locator("#live-count");

        // Microsoft's JavaScript client, served by the backend itself, through the gateway.
        await home.GotoAsync(gateway.GatewayUrl.ToString());
        var backend = (await home.Locator("h1").TextContentAsync())!.Replace("Backend ", "", StringComparison.Ordinal);
        await home.Locator("#live").ClickAsync();
        await Assertions.Expect(count).ToHaveTextAsync($"count 1 on backend {backend}", new() { Timeout = 5000 });
        await home.Locator("#live").ClickAsync();
        await Assertions.Expect(count).ToHaveTextAsync($"count 2 on backend {backend}", new() { Timeout = 3000 });
        var dashboard = await browser.NewPageAsync();
        await dashboard.GotoAsync(gateway.AdminUrl.ToString());
        await Assertions.Expect(dashboard.GetByTestId("connections-" + backend)).ToHaveTextAsync("1", new() { Timeout = 3000 });
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("home-live-connection"));
        using (var kill = await gateway.Admin.PostAsync($"/api/backends/{backend}/kill", null))
        {
            kill.EnsureSuccessStatusCode();
        }

        // Closed within SPEC's 2 s; the next click opens a new connection elsewhere, whose count starts again.
        await Assertions.Expect(count).ToContainTextAsync("connection closed", new() { Timeout = 2000 });
        await home.Locator("#live").ClickAsync();
        await Assertions.Expect(count).ToHaveTextAsync(new System.Text.RegularExpressions.Regex($"^count 1 on backend (?!{backend}$)"), new() { Timeout = 5000 });
        await Assertions.Expect(dashboard.GetByTestId("connections-" + backend)).ToHaveTextAsync("0", new() { Timeout = 3000 });
    }

    [ChromiumFact]
    public async Task TheDashboardDrainsABackendAndMakesItReadyAgain()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(gateway.AdminUrl.ToString());
        await page.GetByTestId("drain-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("state-2")).ToHaveTextAsync("draining", new() { Timeout = 3000 });
        var drained = (await gateway.GetBackendsAsync()).Single(b => b.Id == "2").State;
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-backend-2-draining"));
        await page.GetByTestId("ready-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("state-2")).ToHaveTextAsync("running", new() { Timeout = 3000 });

        Assert.Equal("draining", drained);
        Assert.Equal("running", (await gateway.GetBackendsAsync()).Single(b => b.Id == "2").State);
        await Assertions.Expect(page.GetByTestId("drain-2")).ToBeVisibleAsync();
    }

    [ChromiumFact]
    public async Task SimulatedVisitorsLeaveADrainingBackendSoItStopsWithoutLosingASession()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(gateway.AdminUrl.ToString());

        await page.GetByTestId("sim-users").FillAsync("24");
        await page.GetByTestId("sim-visit").FillAsync("3");
        await page.GetByTestId("sim-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("on backend 2", new() { Timeout = 10000 });
        await page.GetByTestId("drain-2").ClickAsync();
        // Visits last 1.5-4.5 s: every visitor of backend 2 leaves, and the new ones are pinned elsewhere.
        await Assertions.Expect(page.GetByTestId("sim-status")).Not.ToContainTextAsync("on backend 2", new() { Timeout = 15000 });
        var drained = await gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation");
        var shown = await page.GetByTestId("sim-status").TextContentAsync() ?? "";
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-drained-by-visitors"));
        await page.GetByTestId("kill-2").ClickAsync();
        var after = await PollAsync(() => gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation"), s => s!.Requests >= drained!.Requests + 60, timeoutSeconds: 15);
        await page.GetByTestId("sim-stop").ClickAsync();

        Assert.True(drained!.VisitsEnded > 0);
        Assert.Contains(" ended, each followed by a new visitor", shown, StringComparison.Ordinal);
        Assert.True(after!.Requests >= drained.Requests + 60, $"Only {after.Requests - drained.Requests} requests after the stop.");
        Assert.Equal((0, 0), (after.LostSessions, after.Failed));
    }

    [ChromiumFact]
    public async Task MakingTheUsersOfOneBackendTheActiveOnesOverloadsItUnderStickySessions()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(gateway.AdminUrl.ToString());

        await page.GetByTestId("sim-users").FillAsync("30");
        await page.GetByTestId("sim-active").SelectOptionAsync("2");
        await page.GetByTestId("sim-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("Only the users of backend 2 are active", new() { Timeout = 10000 });
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("30 logged in", new() { Timeout = 10000 });
        var start = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");
        var end = await PollAsync(() => gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats"), s => s!.Requests.Values.Sum() >= start!.Requests.Values.Sum() + 150, timeoutSeconds: 20);
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-skewed-to-backend-2"));
        await page.GetByTestId("sim-stop").ClickAsync();

        var served = end!.Requests.ToDictionary(p => p.Key, p => p.Value - start!.Requests.GetValueOrDefault(p.Key));
        output.WriteLine("requests served while the users of backend 2 were the active ones: " + string.Join(", ", served.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
        Assert.True(served["2"] > 2 * Math.Max(served["1"], served["3"]), "Backend 2 was not the busiest by far.");
        Assert.Equal("on", await page.GetByTestId("affinity-setting").TextContentAsync());
    }

    [ChromiumFact]
    public async Task WithRebalancingTheActiveUsersOfOneBackendAreSpreadOverAllAndTheDashboardCountsTheMoves()
    {
        // The skew of the test above, with a shared store and --rebalance 1.25: the busy users first pinned to
        // backend 2 are moved off it while it serves more than 1.25x the mean, and keep their sessions.
        await using var store = await StoreServer.StartAsync(StoreServer.IsRedisServerInstalled ? StoreServer.Redis : StoreServer.Garnet);
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Endpoint, "--rebalance", "1.25");
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(gateway.AdminUrl.ToString());

        await page.GetByTestId("sim-users").FillAsync("60");
        await page.GetByTestId("sim-active").SelectOptionAsync("2");
        await page.GetByTestId("sim-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("60 logged in", new() { Timeout = 10000 });
        var moving = await PollAsync(() => gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats"), s => s!.Affinity.Rebalanced >= 5, timeoutSeconds: 20);
        Assert.True(moving!.Affinity.Rebalanced >= 5, $"Only {moving.Affinity.Rebalanced} users were rebalanced.");

        // Once the busy users are spread, no backend serves much more than the others.
        var start = await PollAsync(() => gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats"), s => s!.Requests.Values.Sum() >= moving.Requests.Values.Sum() + 100, timeoutSeconds: 20);
        var end = await PollAsync(() => gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats"), s => s!.Requests.Values.Sum() >= start!.Requests.Values.Sum() + 300, timeoutSeconds: 30);
        await Assertions.Expect(page.GetByTestId("affinity")).ToContainTextAsync("rebalanced", new() { Timeout = 3000 });
        var shown = await page.GetByTestId("affinity").Locator("div", new() { HasText = "rebalanced" }).Locator("dd").TextContentAsync();
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-skew-rebalanced"));
        var status = await gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation");
        await page.GetByTestId("sim-stop").ClickAsync();

        var served = end!.Requests.ToDictionary(p => p.Key, p => p.Value - start!.Requests.GetValueOrDefault(p.Key));
        var imbalance = served.Values.Max() / served.Values.Average();
        output.WriteLine($"requests served once the busy users were spread: {string.Join(", ", served.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))} (imbalance {imbalance:0.00}); rebalanced {end.Affinity.Rebalanced}, dashboard {shown}");
        Assert.True(imbalance <= 1.5, $"Backend loads still skewed: imbalance {imbalance:0.00}.");
        Assert.True(int.Parse(shown!, System.Globalization.CultureInfo.InvariantCulture) >= 5, $"The dashboard shows {shown} rebalanced.");
        Assert.Equal((0, 0), (status!.LostSessions, end.Affinity.RePins));
    }

    [ChromiumFact]
    public async Task TheSimulationControlsShowWhatTheGatewayRunsWhenTheApiSetIt()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--backends", "2");
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(gateway.AdminUrl.ToString());
        await Assertions.Expect(page.GetByTestId("sim-active").Locator("option")).ToHaveCountAsync(3, new() { Timeout = 5000 });

        using (var put = await gateway.Admin.PutAsJsonAsync("/api/simulation", new { users = 6, visitSeconds = 40, activeBackend = "2" }))
        {
            put.EnsureSuccessStatusCode();
        }

        await Assertions.Expect(page.GetByTestId("sim-active")).ToHaveValueAsync("2", new() { Timeout = 3000 });
        await Assertions.Expect(page.GetByTestId("sim-users")).ToHaveValueAsync("6");
        await Assertions.Expect(page.GetByTestId("sim-visit")).ToHaveValueAsync("40");
        var options = await page.GetByTestId("sim-active").Locator("option").AllTextContentsAsync();
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-simulation-set-by-the-api"));
        using (var stop = await gateway.Admin.PutAsJsonAsync("/api/simulation", new { users = 0 }))
        {
            stop.EnsureSuccessStatusCode();
        }

        await Assertions.Expect(page.GetByTestId("sim-active")).ToHaveValueAsync("", new() { Timeout = 3000 });
        Assert.Equal(["everyone", "users of backend 1", "users of backend 2"], options);
    }

    [ChromiumFact]
    public async Task TheDashboardNamesTheStoresPrimaryAndSaysWhenItStopsAnswering()
    {
        await using var store = await StoreServer.StartAsync(StoreServer.Garnet);
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Endpoint);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(gateway.AdminUrl.ToString());
        await Assertions.Expect(page.GetByTestId("store")).ToHaveTextAsync("redis");
        await Assertions.Expect(page.GetByTestId("store-node")).ToHaveTextAsync($"(external, primary {store.Endpoint})", new() { Timeout = 5000 });
        store.Kill();
        await Assertions.Expect(page.GetByTestId("store-node")).ToHaveTextAsync("(external: not answering)", new() { Timeout = 8000 });
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-store-not-answering"));
    }

    [ChromiumFact]
    public async Task TheDashboardKillsStartsAndFlipsTheFailoverPolicy()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(gateway.AdminUrl.ToString());
        foreach (var id in new[] { "1", "2", "3" })
        {
            await Assertions.Expect(page.GetByTestId("health-" + id)).ToHaveTextAsync("healthy", new() { Timeout = 5000 });
            await Assertions.Expect(page.GetByTestId("state-" + id)).ToHaveTextAsync("running");
        }

        await Assertions.Expect(page.GetByTestId("store")).ToHaveTextAsync("memory");

        var stopwatch = Stopwatch.StartNew();
        await page.GetByTestId("kill-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("state-2")).ToHaveTextAsync("stopped", new() { Timeout = 3000 });
        await Assertions.Expect(page.GetByTestId("health-2")).ToHaveTextAsync("unhealthy", new() { Timeout = 3000 });
        var killSeen = stopwatch.Elapsed;
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-backend-2-killed"));

        await page.GetByTestId("start-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("health-2")).ToHaveTextAsync("healthy", new() { Timeout = 10000 });
        await Assertions.Expect(page.GetByTestId("state-2")).ToHaveTextAsync("running");

        await page.GetByTestId("failover").SelectOptionAsync("Return503Error");
        var settings = await PollAsync(() => gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings"), s => s?.Failover == "Return503Error");
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard"));

        Assert.True(killSeen < TimeSpan.FromSeconds(3), $"The kill showed after {killSeen}.");
        Assert.Equal("Return503Error", settings!.Failover);
        Assert.Equal("running", (await gateway.GetBackendsAsync()).Single(b => b.Id == "2").State);
    }

    [ChromiumFact]
    public async Task SimulatedUsersShowTheirSessionsVanishWhenTheirBackendIsKilled()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(gateway.AdminUrl.ToString());

        await page.GetByTestId("sim-users").FillAsync("30");
        await page.GetByTestId("sim-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("30 users, 30 logged in", new() { Timeout = 10000 });
        var before = await gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation");
        var onBackend2 = before!.UsersPerBackend["2"];

        await page.GetByTestId("kill-2").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).Not.ToContainTextAsync("on backend 2", new() { Timeout = 5000 });
        await Assertions.Expect(page.GetByTestId("sim-status")).ToContainTextAsync("30 logged in", new() { Timeout = 5000 });
        var after = await gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation");
        var shown = await page.GetByTestId("sim-status").TextContentAsync() ?? "";
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("dashboard-simulated-users"));
        // Another second or so of traffic (30 users each ask every 0.5-0.6 s) after everyone moved; a
        // slow machine gets longer, so this waits for the requests rather than timing them.
        var later = await PollAsync(() => gateway.Admin.GetFromJsonAsync<SimulationStatus>("/api/simulation"), s => s!.Requests >= after!.Requests + 60, timeoutSeconds: 15);
        output.WriteLine($"users on backend 2: {onBackend2}; failed at the kill: {after!.Failed}; requests after the move: {later!.Requests - after.Requests}, failed {later.Failed - after.Failed}");
        // The README's picture of the dashboard, from this run, when asked for (never by default: CI leaves docs/ alone).
        await Assertions.Expect(page.GetByTestId("state-2")).ToHaveTextAsync("stopped");
        if (await browser.DocsScreenshotAsync("dashboard") is { } docs)
        {
            output.WriteLine("docs screenshot: " + docs);
        }

        await page.GetByTestId("sim-stop").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sim-status")).ToHaveTextAsync("Not running.", new() { Timeout = 10000 });

        // Memory mode: every user whose session lived on backend 2 found itself logged out once, and no one else.
        Assert.InRange(onBackend2, 1, 29);
        Assert.Equal(onBackend2, after!.LostSessions);
        Assert.Contains($"sessions lost {onBackend2}", shown, StringComparison.Ordinal);
        // The kill is a crash: a request already on its way to backend 2 dies with it (at most one per user
        // pinned there). Every request after that is redistributed, none fails.
        Assert.InRange(after.Failed, 0, onBackend2);
        Assert.True(later!.Requests >= after.Requests + 60, $"Only {later.Requests - after.Requests} requests after the move.");
        Assert.Equal(after.Failed, later.Failed);
        Assert.Equal(onBackend2, later.LostSessions);
    }

    [ChromiumFact]
    public async Task TheCompareChartRendersEverySetupInChromium()
    {
        CompareRun[] runs =
        [
            new("memory", "Redistribute", 300, 100, 200, 100, 0, 4.9, 56.8, 150_000_000),
            new("memory", "Return503Error", 300, 100, 200, 0, 100, 4.1, 43.8, 151_000_000),
            new("memory", "Redistribute", 300, 50, 250, 50, 0, 4.6, 50.2, 150_000_000, Drain: true, EndedBeforeStop: 50, ArrivedDuringDrain: 50, ArrivedOnStoppedBackend: 0),
            new("redis", "Redistribute", 300, 100, 300, 0, 0, 6.4, 36.7, 160_000_000),
            new("replicated", "Redistribute", 300, 100, 300, 0, 0, 7.2, 40.1, 190_000_000),
        ];
        var file = Path.Combine(Browser.ArtifactsDirectory, "compare.svg");
        await File.WriteAllTextAsync(file, CompareChart.Render(runs));
        await using var browser = await Browser.LaunchAsync();

        await browser.Page.GotoAsync(new Uri(file).AbsoluteUri);
        var labels = await browser.Page.Locator("g.run > text:first-of-type").AllTextContentsAsync();
        var bars = await browser.Page.Locator("g.run rect").CountAsync();
        var firstBar = await browser.Page.Locator("g.run rect").First.BoundingBoxAsync();
        var legendVisible = await browser.Page.GetByText("lost (logged out)", new() { Exact = true }).IsVisibleAsync();
        // A screenshot of a bare SVG document waits forever for fonts; show it as an image, as a README does.
        var wrapper = Path.Combine(Browser.ArtifactsDirectory, "compare.html");
        await File.WriteAllTextAsync(wrapper, "<!doctype html><title>compare</title><img src=\"compare.svg\" alt=\"compare chart\">");
        await browser.Page.GotoAsync(new Uri(wrapper).AbsoluteUri);
        var image = await browser.Page.Locator("img").EvaluateAsync<int>("img => img.naturalWidth");
        output.WriteLine("screenshot: " + await browser.ScreenshotAsync("compare-chart"));

        Assert.Equal(["memory + Redistribute", "memory + Return503Error", "memory + Redistribute + drain", "redis + Redistribute", "replicated + Redistribute"], labels);
        Assert.Equal(8, bars);
        Assert.True(firstBar is { Width: > 100, Height: > 20 }, $"The first bar rendered as {firstBar?.Width}x{firstBar?.Height}.");
        Assert.True(legendVisible);
        Assert.Equal(760, image);
    }

    private static async Task<T?> PollAsync<T>(Func<Task<T?>> read, Func<T?, bool> done, int timeoutSeconds = 3) =>
        (await Eventually.TryAsync(read, done, TimeSpan.FromSeconds(timeoutSeconds), interval: TimeSpan.FromMilliseconds(50))).Last;
}
