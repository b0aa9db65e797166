extern alias proxy;

using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Redis;
using StickyLb.Tests.Infrastructure;
using StoreModeNames = proxy::StickyLb.Shared.StoreModeNames;

namespace StickyLb.Tests.Backend.Redis;

/// <summary>
/// The store as BackendApp registers it in redis mode (Microsoft's RedisCache and key ring on one
/// StackExchange.Redis multiplexer), against a real redis-server or Garnet: the layout it writes, and
/// that it reads what StickyLb's own client wrote before it.
/// </summary>
[Trait("Category", "Store")]
public sealed class RedisCacheTests
{
    private static readonly DistributedCacheEntryOptions TwentyMinutesSliding = new() { SlidingExpiration = TimeSpan.FromMinutes(20) };

    private static readonly string TwentyMinutesInTicks = TimeSpan.FromMinutes(20).Ticks.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEntryIsAHashUnderTheInstanceNameWithTheSlidingWindowAsTtl(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var services = RedisStore(server);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();

        await services.Cache.SetAsync("k", [1, 2, 3], TwentyMinutesSliding);
        var fields = await store.HashGetAsync("StickyLb:k", ["absexp", "sldexp", "data"]);
        var ttl = await store.KeyTimeToLiveAsync("StickyLb:k");

        Assert.Equal(new[] { "-1", TwentyMinutesInTicks }, fields[..2].Select(f => (string)f!));
        Assert.Equal(new byte[] { 1, 2, 3 }, (byte[]?)fields[2]);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1190), TimeSpan.FromSeconds(1200));
        Assert.Equal(new byte[] { 1, 2, 3 }, await services.Cache.GetAsync("k"));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEntryWrittenByThePreviousClientIsReadAndItsTtlSlid(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var services = RedisStore(server);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();

        // Exactly what StickyLb's own RESP client sent for a session (RespDistributedCache, until issue 16):
        // MULTI, HSET key absexp -1 sldexp <ticks> data <bytes>, EXPIRE key <seconds>, EXEC.
        await store.ExecuteAsync("HSET", "StickyLb:old", "absexp", "-1", "sldexp", TwentyMinutesInTicks, "data", new byte[] { 7, 8, 9 });
        await store.ExecuteAsync("EXPIRE", "StickyLb:old", "5");
        var read = await services.Cache.GetAsync("old");
        var ttl = await store.KeyTimeToLiveAsync("StickyLb:old");

        Assert.Equal(new byte[] { 7, 8, 9 }, read);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1190), TimeSpan.FromSeconds(1200));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnAbsoluteExpirationCapsTheSlidingOne(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var services = RedisStore(server);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();

        await services.Cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(60) });
        var ttl = await store.KeyTimeToLiveAsync("StickyLb:k");
        var absolute = await store.HashGetAsync("StickyLb:k", "absexp");

        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));
        Assert.NotEqual("-1", (string?)absolute);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task RemoveDeletesAndAMissingEntryIsNull(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var services = RedisStore(server);
        await services.Cache.SetAsync("k", [1], TwentyMinutesSliding);

        await services.Cache.RemoveAsync("k");

        Assert.Null(await services.Cache.GetAsync("k"));
        Assert.Null(await services.Cache.GetAsync("never-set"));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task TheKeyRingIsAListOfXmlElementsUnderThePrefixAndReadsThePreviousClientsEntries(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var services = RedisStore(server);
        await using var connection = await server.ConnectAsync();
        var store = connection.GetDatabase();
        // What StickyLb's own client wrote (RespXmlRepository): RPUSH of the element without formatting.
        await store.ListRightPushAsync("StickyLb:DataProtection-Keys", new XElement("key", new XAttribute("id", "0")).ToString(SaveOptions.DisableFormatting));

        services.KeyRing.StoreElement(new XElement("key", new XAttribute("id", "1")), "one");
        services.KeyRing.StoreElement(new XElement("key", new XAttribute("id", "2")), "two");
        var elements = services.KeyRing.GetAllElements();
        var length = await store.ListLengthAsync("StickyLb:DataProtection-Keys");

        Assert.Equal(["0", "1", "2"], elements.Select(e => e.Attribute("id")!.Value));
        Assert.Equal(3, length);
    }

    /// <summary>The cache and key ring BackendApp registers in redis mode, for <paramref name="server"/>.</summary>
    private static RegisteredStore RedisStore(StoreServer server)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        // These tests are about the layout, not outages: timeouts of their own (written ones win over BackendApp's
        // fail-fast 500 ms), since a sync key-ring command on a loaded CI machine's starved thread pool took longer.
        var configuration = server.Configuration + ",syncTimeout=5000,asyncTimeout=5000";
        services.AddOptions<BackendOptions>().Configure(backend => (backend.Store, backend.Redis) = (StoreModeNames.Redis, configuration));
        services.AddRedisSessionStore();
        return new RegisteredStore(services.BuildServiceProvider());
    }

    private sealed class RegisteredStore(ServiceProvider provider) : IAsyncDisposable
    {
        public IDistributedCache Cache { get; } = provider.GetRequiredService<IDistributedCache>();

        public Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository KeyRing { get; } =
            provider.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository!;

        public ValueTask DisposeAsync() => provider.DisposeAsync();
    }
}
