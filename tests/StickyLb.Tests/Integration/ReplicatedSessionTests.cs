extern alias proxy;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;
using HealthResponse = proxy::StickyLb.Shared.HealthResponse;

namespace StickyLb.Tests.Integration;

/// <summary>Replicated mode (session clustering) with the real gateway and real backends forming an Akka.NET cluster.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class ReplicatedSessionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly string SessionCookieName = StickyLb.BackendApp.Sessions.SessionServiceCollectionExtensions.CookieName;

    [Fact]
    public async Task NoAcknowledgedChangeIsLostWhenUsersBackendsAreKilledOneAfterAnotherUnderLoad()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var users = await LoggedInUser.LogInAsync(gateway, 24);
        var acknowledged = users.ToDictionary(u => u.Name, _ => new ConcurrentQueue<string>());

        // Users keep filling their carts while backend 2 dies, comes back, and then backend 3 dies.
        await RunLoadAsync(users, acknowledged, async () =>
        {
            await StickySessionTests.KillBackendAsync(gateway, "2", KillMethod.Sigkill);
            using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
            await StickySessionTests.KillBackendAsync(gateway, "3", KillMethod.AdminApi);
        });

        Assert.Contains(users, u => u.Backend == "2");
        Assert.Contains(users, u => u.Backend == "3");
        foreach (var user in users)
        {
            var whoAmI = await user.Client.WhoAmIAsync();
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            Assert.Equal((user.Name, user.Visits + 1, "replicated"), (whoAmI.User, whoAmI.Visits, whoAmI.Store));
            Assert.NotEqual("3", whoAmI.Backend);
            Assert.NotEmpty(acknowledged[user.Name]);
            Assert.Empty(acknowledged[user.Name].Except(cart!.Items));
        }

    }

    [Fact]
    public async Task AHitOnABackendThatMissedTheUsersChangesElsewhereNeverReadsStaleData()
    {
        // The requests go to the backends directly, with the StickyLb-Affinity header the gateway would set
        // (AffinityHeaderTransformTests): a user who comes back to its old backend with its old pin, the worst case
        // for a backend that reads its own replica on a hit.
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var user = (await LoggedInUser.LogInAsync(gateway, 1))[0];
        var home = user.Backend;
        var away = home == "1" ? "2" : "1";
        using var homeHit = BackendClient(gateway, home, user, "hit");
        using var awayMoved = BackendClient(gateway, away, user, "moved");
        using var awayHit = BackendClient(gateway, away, user, "hit");
        var acknowledged = new List<string>();

        // Back home after changes elsewhere, home running all along.
        await AddToCartAsync(homeHit, "home-1", acknowledged);
        await AddToCartAsync(awayMoved, "away-1", acknowledged);
        await AddToCartAsync(awayHit, "away-2", acknowledged);
        await AddToCartAsync(awayHit, "away-3", acknowledged);
        var afterReturn = (await homeHit.GetFromJsonAsync<CartResponse>("/cart"))!.Items;

        // Back home after changes made elsewhere while home was paused (SIGSTOP), so that it missed them.
        await AddToCartAsync(homeHit, "home-2", acknowledged);
        var pid = (await gateway.GetBackendsAsync()).Single(b => b.Id == home).Pid!.Value;
        var paused = Stopwatch.StartNew();
        Posix.Signal(pid, Posix.SigStop);
        try
        {
            await AddToCartAsync(awayMoved, "away-4", acknowledged);
            await AddToCartAsync(awayHit, "away-5", acknowledged);
            // The pause itself is the scenario (not a wait for readiness): longer than what the backend counts as a
            // pause (1 s), well within what its cluster tolerates (4 s) so that it stays a member.
            var left = TimeSpan.FromSeconds(1.5) - paused.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left);
            }
        }
        finally
        {
            Posix.Signal(pid, Posix.SigCont);
        }

        var afterPause = (await homeHit.GetFromJsonAsync<CartResponse>("/cart"))!.Items;

        // Two changes of the user at once, one at home and one elsewhere: a session is last writer wins (one of the two
        // may be overwritten, as in any store), but home's next hit must read what a majority holds, never an older cart.
        var third = new[] { "1", "2", "3" }.Except([home, away]).Single();
        using var thirdMoved = BackendClient(gateway, third, user, "moved");
        var atHome = homeHit.PostAsJsonAsync("/cart/items", new { item = "both-home" });
        var elsewhere = awayMoved.PostAsJsonAsync("/cart/items", new { item = "both-away" });
        using var addedAtHome = await atHome;
        using var addedElsewhere = await elsewhere;
        var statuses = (addedAtHome.StatusCode, addedElsewhere.StatusCode);
        var homeAfterBoth = (await homeHit.GetFromJsonAsync<CartResponse>("/cart"))!.Items;
        var majorityAfterBoth = (await thirdMoved.GetFromJsonAsync<CartResponse>("/cart"))!.Items;

        Assert.Equal(acknowledged.Take(4), afterReturn);
        Assert.Equal(acknowledged, afterPause);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), statuses);
        Assert.Equal(majorityAfterBoth, homeAfterBoth);
        Assert.Equal(acknowledged, homeAfterBoth.Take(acknowledged.Count));
    }

    private static async Task AddToCartAsync(HttpClient backend, string item, List<string> acknowledged)
    {
        using var added = await backend.PostAsJsonAsync("/cart/items", new { item });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        acknowledged.Add(item);
    }

    [Fact]
    public async Task EveryRunningBackendReportsEverySessionAndItsMemory()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var users = await LoggedInUser.LogInAsync(gateway, 12);

        var backends = await PollBackendsAsync(gateway, all => all.All(b => b.Sessions == users.Count));

        Assert.All(backends, b => Assert.Equal(users.Count, b.Sessions));
        Assert.All(backends, b => Assert.InRange(b.MemoryBytes, 20_000_000, 4_000_000_000));
        Assert.Equal(3, users.Select(u => u.Backend).Distinct().Count());
    }

    [Fact]
    public async Task BackendsThatStartTogetherProtectSessionCookiesWithOneSharedKey()
    {
        // Backends that start at the same moment must not each make a Data Protection key of their own:
        // each would keep protecting cookies with its own key, and once Data Protection stops looking for
        // keys it has not seen (two minutes after start) a user moved to another backend looks logged out.
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var users = await LoggedInUser.LogInAsync(gateway, 6);

        var keys = users.Select(u => (u.Backend, Key: ProtectingKeyId(u.Client.Cookies.GetCookies(gateway.GatewayUrl)[SessionCookieName]!.Value))).ToList();

        Assert.Equal(3, keys.Select(k => k.Backend).Distinct().Count());
        Assert.Single(keys.Select(k => k.Key).Distinct());
    }

    /// <summary>The id of the Data Protection key that protected a session cookie (the 16 bytes after the payload's 4-byte magic header; the cookie is the escaped base64 of the payload without its padding).</summary>
    private static Guid ProtectingKeyId(string escaped)
    {
        var cookie = Uri.UnescapeDataString(escaped);
        var payload = Convert.FromBase64String(cookie.PadRight(cookie.Length + ((4 - (cookie.Length % 4)) % 4), '='));
        return new Guid(payload.AsSpan(4, 16));
    }

    [Fact]
    public async Task ABackendThatHasNotJoinedTheOthersAnswersHealthzWith503()
    {
        // Its only peer never answers: it keeps trying to join, and must say so rather than not listen.
        var port = FreePorts.Next();
        using var backend = BackendAppProcess.Start(
            "4", port, "--Backend:Store", "replicated", "--Replicated:Port", FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Replicated:Seeds", $"127.0.0.1:{FreePorts.Next()}");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };

        using var health = await FirstAnswerAsync(client, "/healthz");
        var report = await health.Content.ReadFromJsonAsync<HealthResponse>();
        using var whoAmI = await client.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(("unhealthy", "replicated", 0), (report!.Status, report.Store, report.Sessions));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, whoAmI.StatusCode);
        Assert.Equal("application/problem+json", whoAmI.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The first answer of a server that is starting: connection refusals until it listens.</summary>
    private static async Task<HttpResponseMessage> FirstAnswerAsync(HttpClient client, string path)
    {
        Exception? refused = null;
        return (await Eventually.ValueAsync<HttpResponseMessage?>(
            async () =>
            {
                try
                {
                    return await client.GetAsync(path);
                }
                catch (HttpRequestException ex)
                {
                    refused = ex;
                    return null;
                }
            },
            response => response is not null,
            TimeSpan.FromSeconds(30),
            _ => $"{path} was never answered; last: {refused?.Message}",
            interval: TimeSpan.FromMilliseconds(50)))!;
    }

    [Fact]
    public async Task ABackendThatStartsLateHoldsEverySessionBeforeItIsHealthy()
    {
        // Async replication reads locally: what the restarted backend answers is what it holds.
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated", "--replication", "async");
        await StickySessionTests.KillBackendAsync(gateway, "3", KillMethod.AdminApi);
        using var users = await LoggedInUser.LogInAsync(gateway, 20);
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "book-" + user.Name });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        using var start = await gateway.Admin.PostAsync("/api/backends/3/start", null);
        using var backend3 = BackendClient(gateway, "3", users[0]);
        using var health = await backend3.GetAsync("/healthz");
        var report = await health.Content.ReadFromJsonAsync<HealthResponse>();
        var carts = new List<CartResponse>();
        foreach (var user in users)
        {
            using var direct = BackendClient(gateway, "3", user);
            carts.Add((await direct.GetFromJsonAsync<CartResponse>("/cart"))!);
        }

        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(users.Count, report!.Sessions);
        Assert.All(carts, cart => Assert.Equal("3", cart.Backend));
        Assert.Equal(users.Select(u => new[] { "book-" + u.Name }), carts.Select(c => c.Items.ToArray()));
    }

    [Theory]
    [InlineData("async", true)]
    [InlineData("sync", false)]
    public async Task AReadOnAnotherBackendRightAfterAChangeSeesTheOldSessionOnlyWithAsyncReplication(string replication, bool staleExpected)
    {
        const int Changes = 15;
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated", "--replication", replication);
        using var user = (await LoggedInUser.LogInAsync(gateway, 1))[0];
        var other = user.Backend == "1" ? "2" : "1";
        using var elsewhere = BackendClient(gateway, other, user);
        // The read below must not be the first this backend sees of the session: one that does not know
        // the session at all starts a new one under the same key, and that write would replace the user's.
        await PollBackendsAsync(gateway, all => all.Single(b => b.Id == other).Sessions == 1);
        var stale = 0;
        var windows = new List<double>();

        for (var i = 1; i <= Changes; i++)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = $"item{i}" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            var acknowledged = Stopwatch.StartNew();
            var seen = (await elsewhere.GetFromJsonAsync<CartResponse>("/cart"))!.Items.Count;
            if (seen < i)
            {
                stale++;
                // No pause between reads: the time the change takes to reach the other backend is what is measured.
                var change = i;
                await Eventually.TrueAsync(
                    async () => (await elsewhere.GetFromJsonAsync<CartResponse>("/cart"))!.Items.Count >= change,
                    TimeSpan.FromSeconds(10),
                    () => $"change {change} never reached the other backend.",
                    interval: TimeSpan.Zero);

                windows.Add(acknowledged.Elapsed.TotalMilliseconds);
            }
        }

        output.WriteLine($"{replication}: {stale} of {Changes} reads on another backend right after a change saw the old cart; "
            + $"it caught up after {(windows.Count == 0 ? "-" : $"{windows.Order().ElementAt(windows.Count / 2):0} ms (median), {windows.Max():0} ms (max)")}.");
        if (staleExpected)
        {
            Assert.True(stale > 0, "Async replication never showed a stale session: the window was not demonstrated.");
        }
        else
        {
            Assert.Equal(0, stale);
        }
    }

    [Fact]
    public async Task StoppingTheGatewayLeavesNoBackendOfTheClusterRunning()
    {
        var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        int[] pids;
        await using (gateway)
        {
            pids = [.. (await gateway.GetBackendsAsync()).Select(b => b.Pid!.Value)];
            using var user = (await LoggedInUser.LogInAsync(gateway, 1))[0];

            gateway.Signal(Posix.SigTerm);

            Assert.Equal(0, await gateway.WaitForExitAsync(StopTimeout));
        }

        Assert.Equal(3, pids.Length);
        foreach (var pid in pids)
        {
            Assert.True(await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(5)), $"Backend pid {pid} outlived the gateway.");
        }
    }

    [Fact]
    public async Task ABackendStoppedWithSigtermLeavesTheClusterAndTheOthersCarryOn()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var users = await LoggedInUser.LogInAsync(gateway, 9);
        var pid = (await gateway.GetBackendsAsync()).Single(b => b.Id == "2").Pid!.Value;

        Posix.Signal(pid, Posix.SigTerm);
        var exited = await Posix.WaitForExitAsync(pid, StopTimeout);
        await gateway.WaitForBackendAsync("2", b => b is { State: "stopped" }, TimeSpan.FromSeconds(5));
        var after = new List<WhoAmIResponse>();
        foreach (var user in users)
        {
            after.Add(await user.Client.WhoAmIAsync());
        }

        Assert.True(exited, "The backend did not stop within 15 s of SIGTERM.");
        Assert.Contains(users, u => u.Backend == "2");
        Assert.All(users.Zip(after), pair => Assert.Equal((pair.First.Name, pair.First.Visits + 1), (pair.Second.User, pair.Second.Visits)));
    }

    [Fact]
    public async Task AKilledBackendLeavesTheClusterAtOnceAndJoinsItAgainWhenRestarted()
    {
        // Akka's own failure detector and downing take a killed member out after about 10 s (cluster.hocon),
        // and until then a majority write may wait for it first (DeadPeerWatcher); the survivors now see its
        // cluster port refuse connections and take it out at once.
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "replicated");
        using var users = await LoggedInUser.LogInAsync(gateway, 6);
        using var backend1 = BackendClient(gateway, "1", users[0]);
        using var backend3 = BackendClient(gateway, "3", users[0]);
        var before = await MembersAsync(backend1);

        var killed = Stopwatch.StartNew();
        await StickySessionTests.KillBackendAsync(gateway, "2", KillMethod.Sigkill);
        var membersAfterKill = (await WaitForMembersAsync(backend1, 2), await WaitForMembersAsync(backend3, 2));
        var left = killed.Elapsed;
        using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);
        var membersAfterRestart = await WaitForMembersAsync(backend1, 3);
        var after = new List<WhoAmIResponse>();
        foreach (var user in users)
        {
            after.Add(await user.Client.WhoAmIAsync());
        }

        Assert.Equal(3, before);
        Assert.Equal((2, 2), membersAfterKill);
        Assert.True(left < TimeSpan.FromSeconds(5), $"The killed backend left the cluster after {left}.");
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal(3, membersAfterRestart);
        Assert.All(users.Zip(after), pair => Assert.Equal((pair.First.Name, pair.First.Visits + 1), (pair.Second.User, pair.Second.Visits)));
    }

    /// <summary>The cluster's members as the backend behind <paramref name="backend"/> sees them (<c>/healthz</c>).</summary>
    private static async Task<int?> MembersAsync(HttpClient backend)
    {
        using var health = await backend.GetAsync("/healthz");
        return (await health.Content.ReadFromJsonAsync<HealthResponse>())!.Members;
    }

    /// <summary>Polls <paramref name="backend"/> until it sees <paramref name="expected"/> members, for up to 30 s; answers the last count.</summary>
    private static async Task<int?> WaitForMembersAsync(HttpClient backend, int expected) =>
        (await Eventually.TryAsync(() => MembersAsync(backend), members => members == expected, TimeSpan.FromSeconds(30), interval: TimeSpan.FromMilliseconds(50))).Last;

    /// <summary>
    /// Each user adds items in a loop until <paramref name="during"/> is done, recording the items the
    /// gateway acknowledged with 200; a request caught by a kill may fail, but never an acknowledged one.
    /// </summary>
    private static async Task RunLoadAsync(List<LoggedInUser> users, Dictionary<string, ConcurrentQueue<string>> acknowledged, Func<Task> during)
    {
        using var stop = new CancellationTokenSource();
        var load = users.Select(user => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var item = $"{user.Name}-{i}";
                try
                {
                    using var response = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item });
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged[user.Name].Enqueue(item);
                    }
                }
                catch (HttpRequestException)
                {
                    // Not acknowledged: it may or may not have been applied.
                }

                // The load's pace, real time on purpose: about twenty changes a second per user, through the kills.
                await Task.Delay(50);
            }
        })).ToList();

        try
        {
            await during();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
    }

    /// <summary>A client that talks to backend <paramref name="id"/> directly, with <paramref name="user"/>'s cookies.</summary>
    private static HttpClient BackendClient(GatewayProcess gateway, string id, LoggedInUser user, string? affinity = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { CookieContainer = user.Client.Cookies, UseProxy = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{gateway.BackendPort + int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) - 1}"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        if (affinity is not null)
        {
            // What the gateway tells a backend about the request (StickyLb-Affinity: hit | new | moved).
            client.DefaultRequestHeaders.Add("StickyLb-Affinity", affinity);
        }

        return client;
    }

    private static async Task<StickyLb.Proxy.Admin.BackendInfo[]> PollBackendsAsync(
        GatewayProcess gateway, Func<StickyLb.Proxy.Admin.BackendInfo[], bool> done) =>
        (await Eventually.TryAsync(gateway.GetBackendsAsync, done, TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(50))).Last;
}
