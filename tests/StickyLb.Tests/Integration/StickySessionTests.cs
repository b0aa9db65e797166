using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>The used-by story with the real gateway and three real backend processes.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class StickySessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GatewayStartsThreeBackendsThatAnswerThroughIt()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);

        var backends = await gateway.GetBackendsAsync();
        var answeredBy = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            using var user = gateway.NewUser();
            answeredBy.Add((await user.WhoAmIAsync()).Backend);
        }

        var ready = gateway.Output.Split('\n').Single(l => l.StartsWith("StickyLb ready:", StringComparison.Ordinal));
        Assert.Contains($"gateway {gateway.GatewayUrl.ToString().TrimEnd('/')}", ready);
        Assert.Contains($"dashboard {gateway.AdminUrl.ToString().TrimEnd('/')}", ready);
        Assert.Contains("store memory", ready);
        Assert.Contains("failover Redistribute", ready);
        Assert.Contains($"1=http://127.0.0.1:{gateway.BackendPort} 2=http://127.0.0.1:{gateway.BackendPort + 1} 3=http://127.0.0.1:{gateway.BackendPort + 2}", ready);
        Assert.Equal(["1", "2", "3"], backends.Select(b => b.Id));
        Assert.All(backends, b => Assert.Equal(("running", "healthy"), (b.State, b.Health)));
        Assert.All(backends, b => Assert.True(b.Pid is > 0 && Posix.IsAlive(b.Pid.Value)));
        Assert.Equal(["1", "2", "3"], answeredBy.Order());
        // The proxy's own scheduling choice is not handed down to the backends it starts.
        var environment = await File.ReadAllTextAsync($"/proc/{backends[0].Pid}/environ");
        Assert.DoesNotContain("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", environment);
    }

    [Fact]
    public async Task ThirtyClientsStayOnTheirBackendAndNewSessionsSpreadOverAll()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        var pins = new List<string>();

        for (var i = 0; i < 30; i++)
        {
            using var user = gateway.NewUser();
            using var first = await user.Http.GetAsync("/whoami");
            var pin = Assert.Single(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith("server=", StringComparison.Ordinal));
            var backend = first.Headers.GetValues("X-Backend").Single();
            Assert.Equal($"server={backend}; path=/; samesite=lax; httponly", pin);
            Assert.Equal(backend, (await first.Content.ReadFromJsonAsync<WhoAmIResponse>())!.Backend);
            pins.Add(backend);

            for (var visit = 2; visit <= 21; visit++)
            {
                using var response = await user.Http.GetAsync("/whoami");
                var body = await response.Content.ReadFromJsonAsync<WhoAmIResponse>();
                Assert.Equal(backend, response.Headers.GetValues("X-Backend").Single());
                Assert.Equal((backend, visit), (body!.Backend, body.Visits));
                Assert.DoesNotContain(SetCookies(response), c => c.StartsWith("server=", StringComparison.Ordinal));
            }
        }

        var perBackend = pins.GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["1", "2", "3"], perBackend.Keys.Order());
        Assert.All(perBackend.Values, count => Assert.True(count <= 18, $"A backend got {count} of 30 new sessions."));
    }

    [Fact]
    public async Task InMemoryModeNoUserIsMovedByPlacementWhileItsBackendIsHealthy()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        var pinned = Enumerable.Range(1, 10).Select(_ => gateway.NewUser()).ToList();
        var arriving = Enumerable.Range(1, 9).Select(_ => gateway.NewUser()).ToList();
        try
        {
            // Backend 2 holds by far the most sessions: ten users pinned to it (a cookie any gateway would honour).
            foreach (var user in pinned)
            {
                user.Cookies.Add(gateway.GatewayUrl, new Cookie("server", "2"));
            }

            await Task.WhenAll(pinned.Select((user, i) => user.LoginAsync($"pinned{i}")));
            await gateway.WaitForBackendAsync("2", b => b.Sessions == 10, TimeSpan.FromSeconds(10));

            // New users arrive while the pinned ones keep working: placement steers the new ones, never the pinned.
            var visits = pinned.Select(async user =>
            {
                var seen = new List<(string Backend, int Visits)>();
                for (var visit = 0; visit < 5; visit++)
                {
                    var body = await user.WhoAmIAsync();
                    seen.Add((body.Backend, body.Visits));
                }

                return seen;
            }).ToList();
            var arrivals = await Task.WhenAll(arriving.Select((user, i) => user.LoginAsync($"new{i}")));
            var pinnedSeen = await Task.WhenAll(visits);
            var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");

            Assert.All(pinnedSeen, seen => Assert.Equal([("2", 1), ("2", 2), ("2", 3), ("2", 4), ("2", 5)], seen));
            Assert.All(pinned, user => Assert.Equal("2", user.ServerCookie));
            Assert.All(arrivals, body => Assert.Equal(0, body.Visits));
            // Every request of a pinned user was a hit: none re-pinned, none rebalanced; the arrivals were new pins.
            Assert.Equal((0L, 0L, 60L, 9L), (stats!.Affinity.RePins, stats.Affinity.Rebalanced, stats.Affinity.Hits, stats.Affinity.NewPins));
        }
        finally
        {
            foreach (var user in pinned.Concat(arriving))
            {
                user.Dispose();
            }
        }
    }

    [Fact]
    public async Task YarpsHashCookiePolicyConfiguredByAUserKeepsEachClientOnItsBackend()
    {
        // The policy YARP picks by default, set as a YARP user would, instead of StickyLb's readable cookie.
        await using var gateway = await GatewayProcess.StartAsync(output, "--ReverseProxy:Clusters:backends:SessionAffinity:Policy", "HashCookie");
        var pins = new List<string>();

        for (var i = 0; i < 9; i++)
        {
            using var user = gateway.NewUser();
            using var first = await user.Http.GetAsync("/whoami");
            var backend = first.Headers.GetValues("X-Backend").Single();
            var pin = Assert.Single(SetCookies(first), c => c.StartsWith("server=", StringComparison.Ordinal));
            Assert.DoesNotContain($"server={backend};", pin);
            pins.Add(backend);

            for (var visit = 2; visit <= 6; visit++)
            {
                var body = await user.WhoAmIAsync();
                Assert.Equal((backend, visit), (body.Backend, body.Visits));
            }
        }

        Assert.True(pins.Distinct().Count() > 1, $"Every new client went to backend {pins[0]}.");
    }

    [Theory]
    [InlineData(KillMethod.AdminApi)]
    [InlineData(KillMethod.Sigkill)]
    public async Task KilledBackendsClientsAreRePinnedWithAnEmptySessionUnderRedistribute(KillMethod method)
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);

        await KillBackendAsync(gateway, "2", method);

        foreach (var user in users)
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await user.Client.Http.GetAsync("/whoami");
            stopwatch.Stop();
            var body = await response.Content.ReadFromJsonAsync<WhoAmIResponse>();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"{user.Name} waited {stopwatch.Elapsed}.");
            if (user.Backend == "2")
            {
                Assert.NotEqual("2", body!.Backend);
                Assert.Contains($"server={body.Backend}; path=/; samesite=lax; httponly", SetCookies(response));
                Assert.Null(body.User);
                Assert.Equal(1, body.Visits);
            }
            else
            {
                Assert.Equal((user.Backend, user.Name, user.Visits + 1), (body!.Backend, body.User, body.Visits));
            }
        }

        Assert.Contains(users, u => u.Backend == "2");
    }

    [Theory]
    [InlineData(KillMethod.AdminApi)]
    [InlineData(KillMethod.Sigkill)]
    public async Task NoGetFailsUnderLoadWhenABackendIsKilledUnderRedistribute(KillMethod method)
    {
        // Requests on their way to the killed backend are moved (a GET has no body and may be repeated),
        // the ones after it go elsewhere at once: every user gets an answer, the killed backend's users a
        // new session elsewhere.
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);
        var failures = new ConcurrentQueue<string>();
        var answered = 0;
        using var stop = new CancellationTokenSource();
        var load = users.Select(async user =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await user.Client.Http.GetAsync("/whoami");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref answered);
                    }
                    else
                    {
                        failures.Enqueue($"{user.Name}: {(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue($"{user.Name}: {ex.Message}");
                }
            }
        }).ToList();

        await WaitForAnswersAsync(() => answered, 300);
        await KillBackendAsync(gateway, "2", method);
        var atKill = Volatile.Read(ref answered);
        await WaitForAnswersAsync(() => answered, atKill + 300);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        output.WriteLine($"{answered} answered, {failures.Count} failed, {atKill} of them before the kill");
        Assert.Empty(failures);
        Assert.Contains(users, u => u.Backend == "2");
    }

    [Theory]
    [InlineData(KillMethod.AdminApi, "Return503Error")]
    [InlineData(KillMethod.Sigkill, "503")]
    public async Task KilledBackendsClientsGet503UntilItIsStartedAgainUnderReturn503Error(KillMethod method, string failover)
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--failover", failover);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);
        var pinnedTo2 = users.Where(u => u.Backend == "2").ToList();
        Assert.NotEmpty(pinnedTo2);

        await KillBackendAsync(gateway, "2", method);

        foreach (var user in users)
        {
            using var response = await user.Client.Http.GetAsync("/whoami");
            if (user.Backend == "2")
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(response.Headers.RetryAfter);
                var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
                Assert.Equal("2", problem!["backend"].ToString());
                Assert.Contains("Backend 2", problem["detail"].ToString());
                Assert.Equal("2", user.Client.ServerCookie);
            }
            else
            {
                var body = await response.Content.ReadFromJsonAsync<WhoAmIResponse>();
                Assert.Equal((user.Backend, user.Name), (body!.Backend, body.User));
            }
        }

        using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);

        foreach (var user in pinnedTo2)
        {
            var body = await user.Client.WhoAmIAsync();
            Assert.Equal(("2", null, 1), (body.Backend, body.User, body.Visits));
        }

    }

    [Fact]
    public async Task ForgedCookiesGetAFreshValidPinAndAreCountedByReason()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        string[] forged = ["server=9", "server=", "server=abc", "server=" + new string('1', 4096), "server=../1", "server=1; server=2"];
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.GatewayUrl };

        foreach (var cookie in forged)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
            request.Headers.Add("Cookie", cookie);
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var backend = response.Headers.GetValues("X-Backend").Single();
            Assert.Contains($"server={backend}; path=/; samesite=lax; httponly", SetCookies(response));
            Assert.Contains(backend, new[] { "1", "2", "3" });
        }

        var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");
        Assert.Equal(new StickyLb.Proxy.Affinity.AffinityMisses(Unknown: 2, Malformed: 2, Oversized: 1, Repeated: 1, Tampered: 0), stats!.Affinity.Misses);
        Assert.Equal(6, stats.Affinity.NewPins);
        Assert.Equal(0, stats.Affinity.Hits);
    }

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    /// <summary>Waits until <paramref name="answered"/> reaches <paramref name="count"/>: the load has run that far.</summary>
    private static Task WaitForAnswersAsync(Func<int> answered, int count) =>
        Eventually.TrueAsync(() => answered() >= count, TimeSpan.FromSeconds(30), () => $"only {answered()} of {count} answers.", interval: TimeSpan.FromMilliseconds(10));

    internal static async Task KillBackendAsync(GatewayProcess gateway, string id, KillMethod method)
    {
        if (method == KillMethod.AdminApi)
        {
            using var kill = await gateway.Admin.PostAsync($"/api/backends/{id}/kill", null);
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
            Assert.Equal("stopped", (await kill.Content.ReadFromJsonAsync<BackendInfo>())!.State);
        }
        else
        {
            var pid = (await gateway.GetBackendsAsync()).Single(b => b.Id == id).Pid!.Value;
            Posix.Signal(pid, Posix.SigKill);
        }

        await gateway.WaitForBackendAsync(id, b => b is { State: "stopped", Health: "unhealthy", Pid: null }, TimeSpan.FromSeconds(3));
    }
}
