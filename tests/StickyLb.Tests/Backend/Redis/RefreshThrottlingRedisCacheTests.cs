using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StickyLb.BackendApp.Redis;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Redis;

/// <summary>
/// Round trips to the store per request in redis mode, counted with the client's profiling API against a real
/// redis-server or Garnet (a pipelined batch is one; a key-ring read would count): a read-only request on the
/// backend that served the user last is one, a change two; and the sliding expiration is still refreshed,
/// once per interval.
/// </summary>
[Trait("Category", "Store")]
public sealed class RefreshThrottlingRedisCacheTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(20);

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AReadOnlyRequestIsOneRoundTripAndAChangeTwo(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        using var browser = backend.CreateBrowser();
        using var login = await browser.PostAsJsonAsync("/login", new { user = "alice" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var trips = StoreRoundTrips.Attach(backend.Services.GetRequiredService<IConnectionMultiplexer>());

        var readOnly = await trips.MeasureAsync(() => ExpectOkAsync(browser, "/cart"));
        var change = await trips.MeasureAsync(() => ExpectOkAsync(browser, "/whoami"));
        var readOnlyAgain = await trips.MeasureAsync(() => ExpectOkAsync(browser, "/cart"));

        Assert.True(readOnly.RoundTrips == 1, readOnly.ToString());
        Assert.True(change.RoundTrips <= 2, change.ToString());
        Assert.True(readOnlyAgain.RoundTrips == 1, readOnlyAgain.ToString());
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AReadOnlyRequestOnAnotherBackendIsOneRoundTripAndSlidesTheTtl(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend1 = new BackendAppFactory("1", server.Endpoint);
        await using var backend2 = new BackendAppFactory("2", server.Endpoint);
        using var browser1 = backend1.CreateClient(new() { HandleCookies = false });
        using var browser2 = backend2.CreateClient(new() { HandleCookies = false });
        await using var connection = await server.ConnectAsync();
        using var login = await browser1.PostAsJsonAsync("/login", new { user = "alice" });
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var sessionKey = Assert.Single(connection.GetServer(server.Endpoint).Keys(pattern: "StickyLb:*"), k => !k.ToString().Contains("DataProtection", StringComparison.Ordinal));
        await connection.GetDatabase().KeyExpireAsync(sessionKey, TimeSpan.FromSeconds(30));
        var trips = StoreRoundTrips.Attach(backend2.Services.GetRequiredService<IConnectionMultiplexer>());

        var moved = await trips.MeasureAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/cart") { Headers = { { "Cookie", cookie } } };
            using var response = await browser2.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(sessionKey);

        Assert.True(moved.RoundTrips == 1, moved.ToString());
        Assert.Contains(moved.Commands, c => c.Command == "EXPIRE");
        Assert.InRange(ttl!.Value, Idle - TimeSpan.FromSeconds(10), Idle);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AReadSlidesTheTtlOncePerRefreshIntervalAndNotBetween(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = Create(connection, time);
        await cache.SetAsync("k", [1, 2], new DistributedCacheEntryOptions { SlidingExpiration = Idle });
        await store.KeyExpireAsync("StickyLb:k", TimeSpan.FromSeconds(100));

        time.Advance(cache.RefreshInterval - TimeSpan.FromSeconds(1));
        var withinInterval = await cache.GetAsync("k");
        await cache.RefreshAsync("k");
        var ttlWithin = await store.KeyTimeToLiveAsync("StickyLb:k");
        time.Advance(TimeSpan.FromSeconds(2));
        var afterInterval = await cache.GetAsync("k");
        var ttlAfter = await store.KeyTimeToLiveAsync("StickyLb:k");

        Assert.Equal(new byte[] { 1, 2 }, withinInterval);
        Assert.InRange(ttlWithin!.Value, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(100));
        Assert.Equal(new byte[] { 1, 2 }, afterInterval);
        Assert.InRange(ttlAfter!.Value, Idle - TimeSpan.FromSeconds(10), Idle);
        Assert.Equal(TimeSpan.FromMinutes(1), cache.RefreshInterval);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEntryWithAnAbsoluteExpirationKeepsItsCapAfterARead(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();
        var cache = Create(connection, TimeProvider.System);
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = Idle, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(60) });

        var read = await cache.GetAsync("k");
        var ttl = await store.KeyTimeToLiveAsync("StickyLb:k");

        Assert.Equal(new byte[] { 1 }, read);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
    }

    private static RefreshThrottlingRedisCache Create(ConnectionMultiplexer connection, TimeProvider time)
    {
        var options = Options.Create(new RedisCacheOptions { InstanceName = "StickyLb:", ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(connection) });
        return new RefreshThrottlingRedisCache(new RedisCache(options), () => connection.GetDatabase(), "StickyLb:", Idle, time);
    }

    private static async Task ExpectOkAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
