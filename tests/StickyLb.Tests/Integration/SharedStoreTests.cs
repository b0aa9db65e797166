using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Store;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>Redis mode with the real gateway, real backends and a real redis-server or Garnet.</summary>
[Collection(GatewayProcesses.Name)]
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
        var environment = setup == EmbeddedGarnet
            ? new Dictionary<string, string> { ["PATH"] = Directory.CreateTempSubdirectory("stickylb-empty-path-").FullName }
            : [];
        string[] args = external is null
            ? ["--store", "redis", "--store-port", storePort.ToString(CultureInfo.InvariantCulture)]
            : ["--store", "redis", "--redis", external.Endpoint];
        await using var gateway = await GatewayProcess.StartAsync(output, environment, args);
        var users = await LoggedInUser.LogInAsync(gateway, 30);
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
        Assert.Contains($"store redis ({expectedKind} 127.0.0.1:{storePort})", ready);
        Assert.Contains(users, u => u.Backend == "2");
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        foreach (var (user, (whoAmI, cart)) in users.Zip(afterKill))
        {
            Assert.Equal((user.Name, user.Visits + 1, "redis"), (whoAmI.User, whoAmI.Visits, whoAmI.Store));
            Assert.Equal(["book-" + user.Name], cart.Items);
            Assert.NotEqual("2", whoAmI.Backend);
        }

        Assert.All(users.Zip(afterStart), pair => Assert.Equal((pair.First.Name, pair.First.Visits + 2), (pair.Second.WhoAmI.User, pair.Second.WhoAmI.Visits)));

        if (external is null)
        {
            gateway.Signal(Posix.SigTerm);
            await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15));
            Assert.False(await StoreSupervisor.AnswersPingAsync($"127.0.0.1:{storePort}", TimeSpan.FromSeconds(1), CancellationToken.None), "The embedded store outlived the gateway.");
        }

        users.ForEach(u => u.Dispose());
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ADeadStoreIsA503WithinTwoSecondsAndTheGatewayRecoversWhenItReturns(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind);
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Endpoint);
        var users = await LoggedInUser.LogInAsync(gateway, 6);
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

        await store.RestartAsync();
        var recovery = Stopwatch.StartNew();
        foreach (var user in users)
        {
            HttpStatusCode status;
            do
            {
                using var probe = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "after" });
                status = probe.StatusCode;
            }
            while (status != HttpStatusCode.OK && recovery.Elapsed < TimeSpan.FromSeconds(5));

            Assert.Equal(HttpStatusCode.OK, status);
            acknowledged[user.Name].Add("after");
        }

        foreach (var user in users)
        {
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            Assert.Equal(acknowledged[user.Name], cart!.Items);
        }

        users.ForEach(u => u.Dispose());
    }

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
