using Microsoft.Extensions.Caching.Distributed;
using StickyLb.BackendApp.Redis;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Redis;

[Trait("Category", "Store")]
public sealed class RespDistributedCacheTests
{
    private static readonly DistributedCacheEntryOptions TwentyMinutesSliding = new() { SlidingExpiration = TimeSpan.FromMinutes(20) };

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnEntryIsStoredInRedisCachesHashLayoutWithTheSlidingWindowAsTtl(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        var cache = new RespDistributedCache(connection, "app:", TimeProvider.System);

        await cache.SetAsync("k", [1, 2, 3], TwentyMinutesSliding);
        var fields = await connection.ExecuteAsync(RespProtocol.Command("HMGET", "app:k", "absexp", "sldexp", "data"), CancellationToken.None);
        var ttl = await connection.ExecuteAsync(RespProtocol.Command("TTL", "app:k"), CancellationToken.None);

        Assert.Equal("-1", fields.Items![0].AsString());
        Assert.Equal(TimeSpan.FromMinutes(20).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), fields.Items[1].AsString());
        Assert.Equal(new byte[] { 1, 2, 3 }, fields.Items[2].Bulk);
        Assert.InRange(ttl.Number, 1190, 1200);
        Assert.Equal(new byte[] { 1, 2, 3 }, await cache.GetAsync("k"));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ReadingAnEntrySlidesItsTtlBack(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        var cache = new RespDistributedCache(connection, "", TimeProvider.System);
        await cache.SetAsync("k", [1], TwentyMinutesSliding);
        await connection.ExecuteAsync(RespProtocol.Command("EXPIRE", "k", 5), CancellationToken.None);

        await cache.GetAsync("k");
        var ttl = await connection.ExecuteAsync(RespProtocol.Command("TTL", "k"), CancellationToken.None);

        Assert.InRange(ttl.Number, 1190, 1200);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnAbsoluteExpirationCapsTheSlidingOne(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        var cache = new RespDistributedCache(connection, "", TimeProvider.System);

        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(60) });
        var ttl = await connection.ExecuteAsync(RespProtocol.Command("TTL", "k"), CancellationToken.None);
        var absolute = await connection.ExecuteAsync(RespProtocol.Command("HGET", "k", "absexp"), CancellationToken.None);

        Assert.InRange(ttl.Number, 55, 60);
        Assert.NotEqual("-1", absolute.AsString());
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task RemoveDeletesAndAMissingEntryIsNull(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        var cache = new RespDistributedCache(connection, "", TimeProvider.System);
        await cache.SetAsync("k", [1], TwentyMinutesSliding);

        await cache.RemoveAsync("k");

        Assert.Null(await cache.GetAsync("k"));
        Assert.Null(await cache.GetAsync("never-set"));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task TheKeyRingIsAListOfXmlElements(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        var repository = new RespXmlRepository(connection, "ring");

        repository.StoreElement(new System.Xml.Linq.XElement("key", new System.Xml.Linq.XAttribute("id", "1")), "one");
        repository.StoreElement(new System.Xml.Linq.XElement("key", new System.Xml.Linq.XAttribute("id", "2")), "two");
        var elements = repository.GetAllElements();
        var length = await connection.ExecuteAsync(RespProtocol.Command("LLEN", "ring"), CancellationToken.None);

        Assert.Equal(["1", "2"], elements.Select(e => e.Attribute("id")!.Value));
        Assert.Equal(2, length.Number);
    }
}
