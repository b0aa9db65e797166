using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.BackendApp.Redis;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Sessions;

/// <summary>BackendApp in redis mode, in process, against a real redis-server or Garnet.</summary>
[Trait("Category", "Store")]
public sealed class RedisSessionTests
{
    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnyBackendReadsASessionAnotherBackendCreated(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend1 = new BackendAppFactory("1", server.Endpoint);
        await using var backend2 = new BackendAppFactory("2", server.Endpoint);
        using var browser1 = backend1.CreateClient(new() { HandleCookies = false });
        using var browser2 = backend2.CreateClient(new() { HandleCookies = false });

        using var login = await browser1.PostAsJsonAsync("/login", new { user = "alice" });
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", cookie } } };
        var onBackend2 = await (await browser2.SendAsync(request)).Content.ReadFromJsonAsync<WhoAmIResponse>();

        Assert.Equal(("2", "alice", "1", "redis"), (onBackend2!.Backend, onBackend2.User, onBackend2.SessionBackend, onBackend2.Store));
        Assert.Equal((await login.Content.ReadFromJsonAsync<WhoAmIResponse>())!.SessionId, onBackend2.SessionId);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ASessionIsStoredAsRedisCachesHashWithTheIdleTimeoutAsTtl(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        using var browser = backend.CreateBrowser();
        await using var store = server.Connect();

        await browser.PostAsJsonAsync("/login", new { user = "alice" });
        var keys = await store.ExecuteAsync(RespProtocol.Command("KEYS", "StickyLb:*"), CancellationToken.None);
        var sessionKey = keys.Items!.Select(k => k.AsString()!).Single(k => k != "StickyLb:DataProtection-Keys");
        var fields = await store.ExecuteAsync(RespProtocol.Command("HMGET", sessionKey, "absexp", "sldexp", "data"), CancellationToken.None);
        var ttl = await store.ExecuteAsync(RespProtocol.Command("TTL", sessionKey), CancellationToken.None);
        var ring = await store.ExecuteAsync(RespProtocol.Command("LRANGE", "StickyLb:DataProtection-Keys", 0, -1), CancellationToken.None);

        Assert.Equal("-1", fields.Items![0].AsString());
        Assert.Equal(TimeSpan.FromMinutes(20).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), fields.Items[1].AsString());
        Assert.True(fields.Items[2].Bulk!.AsSpan().IndexOf("alice"u8) >= 0);
        Assert.InRange(ttl.Number, 1190, 1200);
        Assert.StartsWith("<key ", Assert.Single(ring.Items!).AsString());
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task WhileTheStoreIsDownSessionRequestsAre503WithinTwoSecondsAndHealthIs503(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        using var browser = backend.CreateBrowser();
        await browser.PostAsJsonAsync("/login", new { user = "alice" });

        server.Kill();
        var stopwatch = Stopwatch.StartNew();
        using var whoAmI = await browser.GetAsync("/whoami");
        var elapsed = stopwatch.Elapsed;
        using var addToCart = await browser.PostAsJsonAsync("/cart/items", new { item = "book" });
        using var health = await browser.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, whoAmI.StatusCode);
        Assert.Equal("application/problem+json", whoAmI.Content.Headers.ContentType?.MediaType);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"The 503 took {elapsed}.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, addToCart.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("unhealthy", (await health.Content.ReadFromJsonAsync<HealthResponse>())!.Status);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task WhenTheStoreReturnsTheBackendRecoversAndKeepsEveryAcknowledgedWrite(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        using var browser = backend.CreateBrowser();
        var acknowledged = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var added = await browser.PostAsJsonAsync("/cart/items", new { item = $"before{i}" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            acknowledged.Add($"before{i}");
        }

        server.Kill();
        using var duringOutage = await browser.PostAsJsonAsync("/cart/items", new { item = "during" });
        await server.RestartAsync();
        var recovery = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var probe = await browser.GetAsync("/cart");
            status = probe.StatusCode;
        }
        while (status != HttpStatusCode.OK && recovery.Elapsed < TimeSpan.FromSeconds(5));
        using var after = await browser.PostAsJsonAsync("/cart/items", new { item = "after" });
        acknowledged.Add("after");
        var cart = await browser.GetFromJsonAsync<CartResponse>("/cart");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, duringOutage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(acknowledged, cart!.Items);
    }
}
