extern alias proxy;

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Tests.Infrastructure;
using HealthResponse = proxy::StickyLb.Shared.HealthResponse;

namespace StickyLb.Tests.Backend.Sessions;

/// <summary>BackendApp in redis mode, in process, against a real redis-server or Garnet.</summary>
[Trait("Category", "Store")]
public sealed class RedisSessionTests
{
    private const string KeyRing = "StickyLb:DataProtection-Keys";

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
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();

        await browser.PostAsJsonAsync("/login", new { user = "alice" });
        var sessionKey = SessionKey(connection, server);
        var fields = await store.HashGetAsync(sessionKey, ["absexp", "sldexp", "data"]);
        var ttl = await store.KeyTimeToLiveAsync(sessionKey);
        var ring = await store.ListRangeAsync(KeyRing);

        Assert.Equal("-1", (string?)fields[0]);
        Assert.Equal(TimeSpan.FromMinutes(20).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)fields[1]);
        Assert.True(((byte[])fields[2]!).AsSpan().IndexOf("alice"u8) >= 0);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1190), TimeSpan.FromSeconds(1200));
        Assert.StartsWith("<key ", (string?)Assert.Single(ring));
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
        var status = await WaitForStatusAsync(() => browser.GetAsync("/cart"), HttpStatusCode.OK);
        using var after = await browser.PostAsJsonAsync("/cart/items", new { item = "after" });
        acknowledged.Add("after");
        var cart = await browser.GetFromJsonAsync<CartResponse>("/cart");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, duringOutage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(acknowledged, cart!.Items);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task WhileTheStoreIsHungSessionRequestsAre503WithinTwoSecondsAndTheBackendRecoversWhenItResumes(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        using var browser = backend.CreateBrowser();
        using var before = await browser.PostAsJsonAsync("/cart/items", new { item = "before" });

        await server.PauseAsync();
        (HttpStatusCode Status, string? Type, TimeSpan Elapsed) whoAmI, addToCart;
        try
        {
            whoAmI = await TimedAsync(() => browser.GetAsync("/whoami"));
            addToCart = await TimedAsync(() => browser.PostAsJsonAsync("/cart/items", new { item = "during" }));
        }
        finally
        {
            server.Resume();
        }

        var status = await WaitForStatusAsync(() => browser.GetAsync("/cart"), HttpStatusCode.OK);
        var cart = await browser.GetFromJsonAsync<CartResponse>("/cart");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.All(new[] { whoAmI, addToCart }, answer =>
        {
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (answer.Status, answer.Type));
            Assert.True(answer.Elapsed < TimeSpan.FromSeconds(2), $"The 503 took {answer.Elapsed}.");
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["before"], cart!.Items);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AStoreDownWhenTheBackendStartsIsA503NotA500AndTheBackendServesOnceItIsBackWithoutARestart(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        server.Kill();
        await using var backend = new BackendAppFactory("1", server.Endpoint);
        // The backend starts: its warm-up cannot read the key ring, and does not stop it.
        using var browser = backend.CreateBrowser();

        var login = await TimedAsync(() => browser.PostAsJsonAsync("/login", new { user = "alice" }));
        using var health = await browser.GetAsync("/healthz");
        await server.RestartAsync();
        var status = await WaitForStatusAsync(() => browser.PostAsJsonAsync("/login", new { user = "alice" }), HttpStatusCode.OK);
        var whoAmI = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (login.Status, login.Type));
        Assert.True(login.Elapsed < TimeSpan.FromSeconds(2), $"The 503 took {login.Elapsed}.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("alice", 1), (whoAmI!.User, whoAmI.Visits));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ASessionAndKeyRingWrittenInThePreviousLayoutAreReadBack(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();
        string cookie;
        await using (var writer = new BackendAppFactory("1", server.Endpoint))
        {
            using var browser = writer.CreateClient(new() { HandleCookies = false });
            using var login = await browser.PostAsJsonAsync("/login", new { user = "alice" });
            cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        }

        // Rewritten exactly as StickyLb's own RESP client wrote them until issue 16: the session with
        // HSET key absexp -1 sldexp <ticks> data <bytes> and EXPIRE; the key ring with RPUSH, one element each.
        var sessionKey = SessionKey(connection, server);
        var data = (byte[])(await store.HashGetAsync(sessionKey, "data"))!;
        var ring = await store.ListRangeAsync(KeyRing);
        await store.KeyDeleteAsync([sessionKey, KeyRing]);
        await store.ExecuteAsync("HSET", sessionKey, "absexp", "-1", "sldexp", TimeSpan.FromMinutes(20).Ticks, "data", data);
        await store.ExecuteAsync("EXPIRE", sessionKey, 1200);
        foreach (var element in ring)
        {
            await store.ExecuteAsync("RPUSH", KeyRing, element);
        }

        await using var reader = new BackendAppFactory("2", server.Endpoint);
        using var client = reader.CreateClient(new() { HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", cookie } } };
        var whoAmI = await (await client.SendAsync(request)).Content.ReadFromJsonAsync<WhoAmIResponse>();

        Assert.Equal(("2", "alice", "1", 1), (whoAmI!.Backend, whoAmI.User, whoAmI.SessionBackend, whoAmI.Visits));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AStoreThatWantsAPasswordIsUsedWithTheOneInTheConfigurationString(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind, password: "correct-horse-battery");
        await using var backend = new BackendAppFactory("1", server.Configuration);
        using var browser = backend.CreateBrowser();

        var alice = await (await browser.PostAsJsonAsync("/login", new { user = "alice" })).Content.ReadFromJsonAsync<WhoAmIResponse>();
        var again = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");

        Assert.Equal(("alice", 1), (again!.User, again.Visits));
        Assert.Equal(alice!.SessionId, again.SessionId);
    }

    [Fact]
    public async Task AKeyRingReadThatFailsOnceIsA503AndNeverDropsTheUsersSessionCookie()
    {
        // A backend that could not read the key ring at start (the store was down) reads it on the first
        // session request. If that one read fails and the next succeeds (the store coming back, a read that
        // timed out under load), the session middleware used to take the cookie as unreadable and start a new
        // session on the spot: the user looked logged out, with an empty cart (a CI failure of the dead-store test).
        await using var server = await StoreServer.StartAsync(StoreServer.IsRedisServerInstalled ? StoreServer.Redis : StoreServer.Garnet);
        string cookie;
        await using (var writer = new BackendAppFactory("1", server.Endpoint))
        {
            using var browser = writer.CreateClient(new() { HandleCookies = false });
            // A cold test process's first store commands can outlast the fail-fast timeouts: a 503 to try again.
            var (_, login) = await Eventually.TryAsync(
                async () =>
                {
                    var response = await browser.PostAsJsonAsync("/login", new { user = "alice" });
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        response.Dispose();
                    }

                    return response;
                },
                response => response.StatusCode != HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(5));

            using (login)
            {
                Assert.Equal(HttpStatusCode.OK, login.StatusCode);
                cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
            }
        }

        var keyRing = new FlakyKeyRing { FailingReads = int.MaxValue };
        await using var reader = new BackendAppFactory("2", server.Endpoint, services => services.PostConfigure<KeyManagementOptions>(
            keys => (keyRing.Inner, keys.XmlRepository) = (keys.XmlRepository!, keyRing)));
        using var client = reader.CreateClient(new() { HandleCookies = false });
        keyRing.FailingReads = 1;

        using var first = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", cookie } } });
        using var second = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", cookie } } });
        var whoAmI = await second.Content.ReadFromJsonAsync<WhoAmIResponse>();

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (first.StatusCode, first.Content.Headers.ContentType?.MediaType));
        Assert.False(first.Headers.Contains("Set-Cookie"), "The 503 replaced the user's session cookie.");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"), "The user was given a new session.");
        Assert.Equal(("2", "alice", "1", 1), (whoAmI!.Backend, whoAmI.User, whoAmI.SessionBackend, whoAmI.Visits));
    }

    /// <summary>Sends a request and answers its status, content type and how long it took.</summary>
    private static async Task<(HttpStatusCode Status, string? Type, TimeSpan Elapsed)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var stopwatch = Stopwatch.StartNew();
        using var response = await send();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, stopwatch.Elapsed);
    }

    /// <summary>Sends a request until it answers <paramref name="expected"/>, for up to 5 s; answers the last status.</summary>
    private static async Task<HttpStatusCode> WaitForStatusAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode expected) =>
        (await Eventually.TryAsync(
            async () =>
            {
                using var response = await send();
                return response.StatusCode;
            },
            status => status == expected,
            TimeSpan.FromSeconds(5),
            interval: TimeSpan.FromMilliseconds(50))).Last;

    /// <summary>The one session entry in the store: every StickyLb key but the key ring.</summary>
    private static RedisKey SessionKey(ConnectionMultiplexer connection, StoreServer server) =>
        connection.GetServer(server.Endpoint).Keys(pattern: "StickyLb:*").Single(k => k != KeyRing);

    /// <summary>A key ring whose next <see cref="FailingReads"/> reads fail as an unreachable store's do.</summary>
    private sealed class FlakyKeyRing : IXmlRepository
    {
        private int _failingReads;

        public IXmlRepository Inner { get; set; } = null!;

        public int FailingReads
        {
            get => Volatile.Read(ref _failingReads);
            set => Volatile.Write(ref _failingReads, value);
        }

        public IReadOnlyCollection<XElement> GetAllElements() =>
            Interlocked.Decrement(ref _failingReads) >= 0
                ? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "The key ring could not be read (a test's failure).")
                : Inner.GetAllElements();

        public void StoreElement(XElement element, string friendlyName) => Inner.StoreElement(element, friendlyName);
    }
}
