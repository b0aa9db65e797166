using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Store;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>Redis mode with the real gateway, real backends and a real redis-server or Garnet.</summary>
[Collection(StoreProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class SharedStoreTests(ITestOutputHelper output)
{
    public const string EmbeddedRedis = "embedded redis-server";
    public const string EmbeddedGarnet = "embedded garnet";
    public const string External = "external --redis";

    public static TheoryData<string> Setups()
    {
        var setups = new TheoryData<string> { EmbeddedGarnet, External };
        if (StoreServer.IsRedisServerInstalled)
        {
            setups.Add(EmbeddedRedis);
        }

        return setups;
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task EverySessionSurvivesTheDeathAndReturnOfABackend(string setup)
    {
        await using var external = setup == External ? await StoreServer.StartAsync(StoreServer.Garnet) : null;
        var storePort = external?.Port ?? FreePorts.Next();
        // Without redis-server on PATH the gateway must fall back to Garnet from the tool manifest.
        var environment = setup == EmbeddedGarnet ? StoreServer.EmbeddedEnvironment(StoreServer.Garnet) : [];
        string[] args = external is null
            ? ["--store", "redis", "--store-port", storePort.ToString(CultureInfo.InvariantCulture)]
            : ["--store", "redis", "--redis", external.Endpoint];
        await using var gateway = await GatewayProcess.StartAsync(output, environment, args);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "book-" + user.Name });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        await StickySessionTests.KillBackendAsync(gateway, "2", KillMethod.AdminApi);
        var afterKill = await VisitAllAsync(users);
        using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);
        var afterStart = await VisitAllAsync(users);

        var ready = gateway.Output.Split('\n').Single(l => l.StartsWith("StickyLb ready:", StringComparison.Ordinal));
        var expectedKind = setup switch { EmbeddedRedis => "redis-server", EmbeddedGarnet => "garnet", _ => "external" };
        Assert.Contains($"store redis ({expectedKind} 127.0.0.1:{storePort}{(external is null ? $", append-only file in {Path.Combine(Path.GetTempPath(), $"stickylb-store-{storePort}")}" : "")})", ready);
        var status = await gateway.Admin.GetFromJsonAsync<StoreStatus>("/api/store");
        Assert.Equal(("redis", expectedKind, true, $"127.0.0.1:{storePort}"), (status!.Store, status.Kind, status.Answers, status.Primary));
        Assert.Contains(users, u => u.Backend == "2");
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        foreach (var (user, (whoAmI, cart)) in users.Zip(afterKill))
        {
            Assert.Equal((user.Name, user.Visits + 1, "redis"), (whoAmI.User, whoAmI.Visits, whoAmI.Store));
            Assert.Equal(["book-" + user.Name], cart.Items);
            Assert.NotEqual("2", whoAmI.Backend);
        }

        Assert.All(users.Zip(afterStart), pair => Assert.Equal((pair.First.Name, pair.First.Visits + 2), (pair.Second.WhoAmI.User, pair.Second.WhoAmI.Visits)));
        if (setup == EmbeddedRedis)
        {
            // The backends reach an embedded redis-server over its Unix socket (cheaper per round trip than loopback TCP).
            var socket = Path.Combine(Path.GetTempPath(), $"stickylb-store-{storePort}", EmbeddedStoreServer.UnixSocketFileName);
            await using var store = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{storePort},allowAdmin=true");
            var clients = ((string?)await store.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(clients.Count(c => c.Contains($" laddr={socket}:", StringComparison.Ordinal)) >= 3, string.Join('\n', clients));
        }

        if (external is null)
        {
            gateway.Signal(Posix.SigTerm);
            await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(StoreAnswer.Silent, await StoreProbe.PingAsync($"127.0.0.1:{storePort}", TimeSpan.FromSeconds(1), CancellationToken.None));
        }

    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ADeadStoreIsA503WithinTwoSecondsAndTheGatewayRecoversWhenItReturnsWithBackendsStartedMeanwhile(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind);
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Endpoint);
        using var users = await LoggedInUser.LogInAsync(gateway, 6);
        var acknowledged = users.ToDictionary(u => u.Name, _ => new List<string>());
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "before" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            acknowledged[user.Name].Add("before");
        }

        store.Kill();
        foreach (var user in users)
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "during" });
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"{user.Name} waited {stopwatch.Elapsed}.");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using var backendHealth = new HttpClient();
        using var health = await backendHealth.GetAsync($"http://127.0.0.1:{gateway.BackendPort}/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        // A backend started while the store is out counts as started (its /healthz says 503, and why): it
        // cannot read the key ring yet, and reads it on a later request once the store is back.
        using var kill = await gateway.Admin.PostAsync("/api/backends/2/kill", null);
        var restart = Stopwatch.StartNew();
        using var start = await gateway.Admin.PostAsync("/api/backends/2/start", null);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (kill.StatusCode, start.StatusCode));
        Assert.True(restart.Elapsed < TimeSpan.FromSeconds(15), $"The start took {restart.Elapsed}.");

        await store.RestartAsync();
        var recovery = Stopwatch.StartNew();
        foreach (var user in users)
        {
            var status = await AddAfterRecoveryAsync(user, TimeSpan.FromSeconds(5) - recovery.Elapsed);

            Assert.Equal(HttpStatusCode.OK, status);
            acknowledged[user.Name].Add("after");
        }

        foreach (var user in users)
        {
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            Assert.Equal(acknowledged[user.Name], cart!.Items);
        }

    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AHungStoreIsA503WithinTwoSecondsAndTheGatewayRecoversWhenItResumes(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind);
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Endpoint);
        using var users = await LoggedInUser.LogInAsync(gateway, 3);
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "before" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        // SIGSTOP: the store's port still accepts connections, and nothing answers.
        var during = new List<(HttpStatusCode Status, string? Type, TimeSpan Elapsed)>();
        await store.PauseAsync();
        try
        {
            foreach (var user in users)
            {
                var stopwatch = Stopwatch.StartNew();
                using var response = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "during" });
                during.Add((response.StatusCode, response.Content.Headers.ContentType?.MediaType, stopwatch.Elapsed));
            }
        }
        finally
        {
            store.Resume();
        }

        var recovery = Stopwatch.StartNew();
        foreach (var user in users)
        {
            var status = await AddAfterRecoveryAsync(user, TimeSpan.FromSeconds(5) - recovery.Elapsed);

            Assert.Equal(HttpStatusCode.OK, status);
        }

        Assert.All(during, answer =>
        {
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (answer.Status, answer.Type));
            Assert.True(answer.Elapsed < TimeSpan.FromSeconds(2), $"The 503 took {answer.Elapsed}.");
        });
        foreach (var user in users)
        {
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            Assert.Equal(["before", "after"], cart!.Items);
        }

    }

    /// <summary>Adds "after" to <paramref name="user"/>'s cart until it is acknowledged or <paramref name="timeout"/> is over; the last status.</summary>
    private static async Task<HttpStatusCode> AddAfterRecoveryAsync(LoggedInUser user, TimeSpan timeout) =>
        (await Eventually.TryAsync(
            async () =>
            {
                using var probe = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "after" });
                return probe.StatusCode;
            },
            status => status == HttpStatusCode.OK,
            timeout)).Last;

    public static TheoryData<string, bool> StoreDeaths()
    {
        // Garnet runs as `dotnet garnet-server`, a launcher whose child process is the server: killing
        // the server and killing only the launcher are different deaths.
        var deaths = new TheoryData<string, bool> { { StoreServer.Garnet, true }, { StoreServer.Garnet, false } };
        if (StoreServer.IsRedisServerInstalled)
        {
            deaths.Add(StoreServer.Redis, true);
        }

        return deaths;
    }

    /// <summary>How old an acknowledged change may be at the store's SIGKILL and still be lost: the append-only file's second, plus scheduling on a busy machine.</summary>
    private static readonly TimeSpan LossWindow = TimeSpan.FromSeconds(1.5);

    [Theory]
    [MemberData(nameof(StoreDeaths))]
    public async Task AnEmbeddedStoreKilledUnderChangingUsersIsStartedAgainOnItsAppendOnlyFileLosingNothingOlderThanItsLastSecond(string kind, bool killServer)
    {
        var storePort = FreePorts.Next();
        var environment = StoreServer.EmbeddedEnvironment(kind);
        // An orphaned store server is no longer the gateway's descendant: stopped too, after the gateway, whatever happens.
        using var orphans = new StoreOrphans(storePort);
        await using var gateway = await GatewayProcess.StartAsync(output, environment, "--store", "redis", "--store-port", storePort.ToString(CultureInfo.InvariantCulture));
        using var users = await LoggedInUser.LogInAsync(gateway, 6);
        var launched = EmbeddedStore(gateway, storePort);
        var victim = killServer ? RunningProcesses.DescendantsOf(gateway.Pid).Last(p => IsStoreOn(p, storePort)) : launched;
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"stickylb-store-{storePort.ToString(CultureInfo.InvariantCulture)}");
        await using var changing = ChangingUsers.Start(users);
        await Eventually.TrueAsync(() => changing.FewestAcknowledgedSince(TimeSpan.Zero) >= 20, TimeSpan.FromSeconds(20), () => "every user's first 20 changes");

        // The logins and the first changes are older than the store's last second by now (20 changes at the
        // users' pace). Until the store is back a change is a 503 problem, never a 2xx for a change dropped (ChangingUsers checks).
        var signalledAt = changing.Now;
        Posix.Signal(victim.Pid, Posix.SigKill);
        Assert.True(await Posix.WaitForExitAsync(victim.Pid, TimeSpan.FromSeconds(10)), "The store outlived SIGKILL.");
        await gateway.WaitForLineAsync(l => l.Contains($"Started {kind} again on 127.0.0.1:{storePort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var restartedAt = changing.Now;
        await Eventually.TrueAsync(() => changing.FewestAcknowledgedSince(restartedAt) >= 3, TimeSpan.FromSeconds(15), () => "every user's 3 changes after the restart");
        // The store's death: no later than the first change it refused (a launcher killed alone leaves its
        // server serving until the gateway stops it). A bound from above, which only makes ages larger.
        var killedAt = changing.FirstFailureSince(signalledAt) ?? throw new InvalidOperationException("No change was refused while the store was down.");
        var lost = await changing.LostAsync(killedAt);

        // Each user is still logged in (LostAsync checks) and keeps every change but those of the store's last second.
        output.WriteLine($"{lost.Count} acknowledged changes lost, acknowledged {string.Join(", ", lost.Select(l => $"{l.BeforeKill.TotalMilliseconds:0} ms"))} before the store's death.");
        Assert.All(lost, l => Assert.True(l.BeforeKill <= LossWindow, $"{l.User}'s {l.Item}, acknowledged {l.BeforeKill.TotalMilliseconds:0} ms before the store's death, is lost."));
        Assert.All(lost, l => Assert.True(l.BeforeKill > TimeSpan.Zero, $"{l.User}'s {l.Item}, acknowledged after the store's death, is lost."));
        Assert.NotEqual(launched.Pid, EmbeddedStore(gateway, storePort).Pid);
        Assert.Contains(gateway.Output.Split('\n'), l => l.StartsWith("StickyLb ready:", StringComparison.Ordinal) && l.Contains($"append-only file in {dataDirectory}", StringComparison.Ordinal));
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(dataDirectory));
        // Nothing of the dead store is left behind.
        var descendants = RunningProcesses.DescendantsOf(gateway.Pid).Select(p => p.Pid).ToHashSet();
        Assert.All(RunningProcesses.All().Where(p => IsStoreOn(p, storePort)), p => Assert.Contains(p.Pid, descendants));
        await gateway.WaitForLineAsync(l => l.Contains($"The embedded store {kind} (pid {launched.Pid}) exited", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains(gateway.Output.Split('\n'), l => l.Contains($"Started {kind} again on 127.0.0.1:{storePort}", StringComparison.Ordinal) && l.Contains(dataDirectory, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", gateway.Output);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEmbeddedStoreThatCannotStartAgainIsTriedAgainLaterUntilItDoes(string kind)
    {
        var storePort = FreePorts.Next();
        var environment = StoreServer.EmbeddedEnvironment(kind);
        using var orphans = new StoreOrphans(storePort);
        await using var gateway = await GatewayProcess.StartAsync(output, environment, "--store", "redis", "--store-port", storePort.ToString(CultureInfo.InvariantCulture));
        using var user = new UserClient(gateway.GatewayUrl);
        var store = EmbeddedStore(gateway, storePort);

        // Something that is not a store takes the port as soon as the store is gone, for the first attempt.
        Posix.Signal(RunningProcesses.DescendantsOf(gateway.Pid).Last(p => IsStoreOn(p, storePort)).Pid, Posix.SigKill);
        Assert.True(await Posix.WaitForExitAsync(store.Pid, TimeSpan.FromSeconds(10)), "The store outlived SIGKILL.");
        using (var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, storePort))
        {
            squatter.Server.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
            squatter.Start();
            await gateway.WaitForLineAsync(l => l.Contains($"The embedded store {kind} could not be started again", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        await gateway.WaitForLineAsync(l => l.Contains($"Started {kind} again on 127.0.0.1:{storePort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        // The backends' clients reconnect on their own, within about their half-second retry interval;
        // until then a request is the store-outage 503, never a 500.
        var (_, login) = await Eventually.TryAsync(
            async () =>
            {
                var response = await user.Http.PostAsJsonAsync("/login", new { user = "alice" });
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    response.Dispose();
                }

                return response;
            },
            response => response.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(5),
            interval: TimeSpan.FromMilliseconds(100));

        using (login)
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal("alice", (await login.Content.ReadFromJsonAsync<WhoAmIResponse>())!.User);
        }

        Assert.Contains($"Trying again in 00:00:02", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", gateway.Output);
    }

    /// <summary>
    /// The store process the gateway started: `redis-server`, or `dotnet garnet-server`, which runs Garnet
    /// in a child process (the first found, since the tree is read parent first).
    /// </summary>
    private static RunningProcess EmbeddedStore(GatewayProcess gateway, int port) =>
        RunningProcesses.DescendantsOf(gateway.Pid).First(p => IsStoreOn(p, port));

    /// <summary>On dispose, kills any store server still running on the port (left behind if the gateway failed to).</summary>
    private sealed class StoreOrphans(int port) : IDisposable
    {
        public void Dispose()
        {
            foreach (var process in RunningProcesses.All().Where(p => IsStoreOn(p, port)))
            {
                try
                {
                    Posix.Signal(process.Pid, Posix.SigKill);
                }
                catch (InvalidOperationException)
                {
                    // Gone meanwhile.
                }
            }
        }
    }

    private static bool IsStoreOn(RunningProcess process, int port) =>
        (process.CommandLine.Contains("redis-server", StringComparison.Ordinal) || process.CommandLine.Contains("garnet", StringComparison.OrdinalIgnoreCase))
        && process.CommandLine.Contains(port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static async Task<List<(WhoAmIResponse WhoAmI, CartResponse Cart)>> VisitAllAsync(List<LoggedInUser> users)
    {
        var visits = new List<(WhoAmIResponse, CartResponse)>();
        foreach (var user in users)
        {
            var whoAmI = await user.Client.WhoAmIAsync();
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            visits.Add((whoAmI, cart!));
        }

        return visits;
    }
}
