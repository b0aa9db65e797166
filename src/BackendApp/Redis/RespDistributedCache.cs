using Microsoft.Extensions.Caching.Distributed;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// <see cref="IDistributedCache"/> on a Redis-protocol store, with the layout of Microsoft's
/// <c>RedisCache</c> (Microsoft.Extensions.Caching.StackExchangeRedis): each entry is a hash with
/// fields <c>absexp</c> and <c>sldexp</c> (ticks, -1 when unset) and <c>data</c>, and a TTL from the
/// expirations. A deployment that can use Microsoft's package reads and writes the same entries.
/// </summary>
public sealed class RespDistributedCache(RespConnection store, string instanceName, TimeProvider timeProvider) : IDistributedCache
{
    private const long NotPresent = -1;
    private static readonly byte[] AbsoluteExpirationField = "absexp"u8.ToArray();
    private static readonly byte[] SlidingExpirationField = "sldexp"u8.ToArray();
    private static readonly byte[] DataField = "data"u8.ToArray();

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var redisKey = instanceName + key;
        var fields = (await store.ExecuteAsync(RespProtocol.Command("HMGET", redisKey, AbsoluteExpirationField, SlidingExpirationField, DataField), token)).ThrowIfError();
        var data = fields.Items![2];
        if (data.IsNull)
        {
            return null;
        }

        await RefreshAsync(redisKey, ReadTicks(fields.Items[0]), ReadTicks(fields.Items[1]), token);
        return data.Bulk;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var redisKey = instanceName + key;
        var now = timeProvider.GetUtcNow();
        var absolute = AbsoluteExpiration(now, options);
        var ttl = ExpirationSeconds(now, absolute, options);

        // MULTI/EXEC: the hash and its TTL land together, so a broken connection cannot leave an
        // entry that never expires.
        List<ReadOnlyMemory<byte>[]> commands =
        [
            RespProtocol.Command("MULTI"),
            RespProtocol.Command(
                "HSET", redisKey,
                AbsoluteExpirationField, absolute?.Ticks ?? NotPresent,
                SlidingExpirationField, options.SlidingExpiration?.Ticks ?? NotPresent,
                DataField, value),
        ];
        if (ttl is { } seconds)
        {
            commands.Add(RespProtocol.Command("EXPIRE", redisKey, seconds));
        }

        commands.Add(RespProtocol.Command("EXEC"));
        var replies = await store.ExecuteAsync(commands, token);
        foreach (var reply in replies)
        {
            reply.ThrowIfError();
        }

        if (replies[^1].IsNull)
        {
            throw new RespServerException($"The store aborted the transaction that writes '{redisKey}'.");
        }

        foreach (var result in replies[^1].Items!)
        {
            result.ThrowIfError();
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        var redisKey = instanceName + key;
        var fields = (await store.ExecuteAsync(RespProtocol.Command("HMGET", redisKey, AbsoluteExpirationField, SlidingExpirationField), token)).ThrowIfError();
        await RefreshAsync(redisKey, ReadTicks(fields.Items![0]), ReadTicks(fields.Items[1]), token);
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default) =>
        (await store.ExecuteAsync(RespProtocol.Command("DEL", instanceName + key), token)).ThrowIfError();

    /// <summary>Slides the TTL of an entry with a sliding expiration, never past its absolute expiration.</summary>
    private async Task RefreshAsync(string redisKey, long? absoluteTicks, long? slidingTicks, CancellationToken token)
    {
        if (slidingTicks is not { } sliding)
        {
            return;
        }

        var ttl = TimeSpan.FromTicks(sliding);
        if (absoluteTicks is { } absolute)
        {
            var left = new DateTimeOffset(absolute, TimeSpan.Zero) - timeProvider.GetUtcNow();
            ttl = left <= ttl ? left : ttl;
        }

        (await store.ExecuteAsync(RespProtocol.Command("EXPIRE", redisKey, Math.Max(1, (long)ttl.TotalSeconds)), token)).ThrowIfError();
    }

    private static long? ReadTicks(RespValue field) =>
        field.AsString() is { } text && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var ticks) && ticks != NotPresent
            ? ticks
            : null;

    private static DateTimeOffset? AbsoluteExpiration(DateTimeOffset now, DistributedCacheEntryOptions options)
    {
        if (options.AbsoluteExpiration is { } absolute && absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration value must be in the future.");
        }

        return options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
    }

    /// <summary>The TTL in seconds, as RedisCache computes it: the sooner of the absolute and sliding expirations.</summary>
    internal static long? ExpirationSeconds(DateTimeOffset now, DateTimeOffset? absolute, DistributedCacheEntryOptions options)
    {
        var sliding = options.SlidingExpiration;
        if (absolute is { } abs && sliding is { } slide)
        {
            return (long)Math.Min((abs - now).TotalSeconds, slide.TotalSeconds);
        }

        if (absolute is { } onlyAbsolute)
        {
            return (long)(onlyAbsolute - now).TotalSeconds;
        }

        return sliding is { } onlySliding ? (long)onlySliding.TotalSeconds : null;
    }
}
