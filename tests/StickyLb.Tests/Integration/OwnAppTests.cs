using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// The gateway in front of apps it did not write and does not run (<c>--spawn false --backend URL ...</c>): three
/// small Kestrel apps in the test process that have no <c>/healthz</c>, as most apps have none.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class OwnAppTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly List<PlainApp> _apps = [];

    public async Task InitializeAsync()
    {
        // App 3's home page redirects (to a login page, say): a 3xx answer is up.
        _apps.Add(await PlainApp.StartAsync("a"));
        _apps.Add(await PlainApp.StartAsync("b"));
        _apps.Add(await PlainApp.StartAsync("c", redirectRoot: true));
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task AppsWithoutHealthzBehindBackendUrlsAreHealthyServedByAllThreeAndPinned()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, ["--spawn", "false", .. BackendArgs()]);

        foreach (var id in new[] { "1", "2", "3" })
        {
            await gateway.WaitForBackendAsync(id, b => b.Health == "healthy", Timeout);
        }

        var backends = await gateway.GetBackendsAsync();
        var answers = new List<(string First, string[] Later)>();
        for (var i = 0; i < 9; i++)
        {
            using var user = NewBrowser(gateway);
            var first = await AppNameAsync(user);
            answers.Add((first, [await AppNameAsync(user), await AppNameAsync(user), await AppNameAsync(user)]));
        }

        Assert.Equal(
            [("1", _apps[0].Url, "running", "healthy"), ("2", _apps[1].Url, "running", "healthy"), ("3", _apps[2].Url, "running", "healthy")],
            backends.Select(b => (b.Id, b.Address, b.State, b.Health)));
        Assert.Contains($"backends 1={_apps[0].Url} 2={_apps[1].Url} 3={_apps[2].Url} (not spawned)", gateway.Output, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "c"], answers.Select(a => a.First).Distinct().Order());
        Assert.All(answers, a => Assert.All(a.Later, later => Assert.Equal(a.First, later)));
        Assert.All(_apps, app => Assert.True(app.Requests("/") > 0, $"app {app.Name} was never probed at /"));
        Assert.DoesNotContain("GET / answered", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongHealthPathIsOneLogLinePerBackendAndA503ProblemSayingWhy()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, ["--spawn", "false", .. BackendArgs(), "--health-path", "/nope"]);

        foreach (var id in new[] { "1", "2", "3" })
        {
            await gateway.WaitForLineAsync(line => line.Contains($"backend {id}: GET /nope answered 404; give --health-path", StringComparison.Ordinal), Timeout);
        }

        // Several more probes of each app after its line: still one line each, not one per probe.
        var probed = _apps.Select(a => a.Requests("/nope") + 3).ToArray();
        await WaitUntilAsync(() => _apps.Select((a, i) => a.Requests("/nope") >= probed[i]).All(x => x), "every app probed 3 more times");
        var backends = await gateway.GetBackendsAsync();
        using var user = NewBrowser(gateway);
        using var response = await user.GetAsync("/app");
        var body = await response.Content.ReadAsStringAsync();

        Assert.All(["1", "2", "3"], id => Assert.Single(Lines(gateway), line => line.Contains($"backend {id}: GET /nope answered 404", StringComparison.Ordinal)));
        Assert.Contains(
            "backend 1: GET /nope answered 404; give --health-path a path your app answers with 2xx or 3xx (or none).",
            gateway.Output, StringComparison.Ordinal);
        Assert.All(backends, b => Assert.Equal(("running", "unhealthy"), (b.State, b.Health)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("No backend available", problem.RootElement.GetProperty("title").GetString());
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains($"Backend {i + 1} ({_apps[i].Url}): GET /nope answered 404.", detail, StringComparison.Ordinal);
        }

        Assert.Contains("give --health-path", detail, StringComparison.Ordinal);
        Assert.Equal(3, problem.RootElement.GetProperty("backends").GetArrayLength());
        Assert.All(_apps, app => Assert.Equal(0, app.Requests("/app")));
    }

    [Fact]
    public async Task HealthPathNoneKeepsServingWithoutProbesAndAKilledAppIsTakenOutByPassiveHealth()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, ["--spawn", "false", .. BackendArgs(), "--health-path", "none"]);
        var users = new List<(HttpClient Client, CookieContainer Cookies, string App)>();
        for (var i = 0; i < 9; i++)
        {
            var cookies = new CookieContainer();
            var client = NewBrowser(gateway, cookies);
            users.Add((client, cookies, await AppNameAsync(client)));
        }

        var pinnedToB = users.First(u => u.App == "b");
        await _apps[1].StopAsync();
        var afterKill = await AppNameAsync(pinnedToB.Client);
        await gateway.WaitForLineAsync(line => line.Contains("Backend 2 failed a proxied request", StringComparison.Ordinal), Timeout);
        var others = new List<string>();
        foreach (var user in users.Where(u => u.App != "b"))
        {
            others.Add(await AppNameAsync(user.Client));
        }

        var backends = await gateway.GetBackendsAsync();

        Assert.Equal(["a", "b", "c"], users.Select(u => u.App).Distinct().Order());
        Assert.Contains(afterKill, new[] { "a", "c" });
        Assert.Equal(afterKill == "a" ? "1" : "3", pinnedToB.Cookies.GetCookies(gateway.GatewayUrl)["server"]?.Value);
        Assert.Equal(users.Where(u => u.App != "b").Select(u => u.App), others);
        Assert.All(_apps, app => Assert.Equal(0, app.Requests("/")));
        Assert.All(backends, b => Assert.NotEqual("stopped", b.State));
        Assert.DoesNotContain("GET / ", gateway.Output, StringComparison.Ordinal);
        users.ForEach(u => u.Client.Dispose());
    }

    private string[] BackendArgs() => [.. _apps.SelectMany(a => new[] { "--backend", a.Url })];

    private static HttpClient NewBrowser(GatewayProcess gateway, CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { CookieContainer = cookies ?? new CookieContainer(), UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = gateway.GatewayUrl,
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>Asks <c>/app</c> through the gateway; the name of the app that answered.</summary>
    private static async Task<string> AppNameAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/app");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /app answered {(int)response.StatusCode}: {body}");
        return body;
    }

    private static string[] Lines(GatewayProcess gateway) => gateway.Output.Split('\n');

    private static Task WaitUntilAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(condition, Timeout, () => what + ".");
}
