using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// Microsoft's <see cref="RedisCache"/> with the sliding expiration refreshed at most once per
/// <see cref="RefreshInterval"/> by this process, instead of on every read. RedisCache reads an entry with
/// <c>HMGET</c> and then slides its TTL with <c>EXPIRE</c> (two round trips), and the session middleware,
/// after a request that changed nothing, calls <see cref="IDistributedCache.RefreshAsync"/>, which is
/// <c>HMGET</c> and <c>EXPIRE</c> again: four round trips for a read-only request, three for a change.
/// Here a read is one round trip: <c>HMGET</c> alone when this process set the entry's TTL less than
/// <see cref="RefreshInterval"/> ago (it wrote or refreshed it), else <c>HMGET</c> and <c>EXPIRE</c> sent
/// together in one pipelined batch (an <c>EXPIRE</c> of a missing key does nothing). A refresh after such a
/// read costs nothing. Writes and removals are RedisCache's own (<c>HMSET</c> and <c>EXPIRE</c>, pipelined),
/// so the layout is exactly RedisCache's: a hash of <c>absexp</c>, <c>sldexp</c> and <c>data</c> under the
/// instance name, with the sliding window as TTL; RedisCache reads what this writes and the reverse.
/// The price: an entry can expire up to <see cref="RefreshInterval"/> before its idle timeout.
/// </summary>
internal sealed class RefreshThrottlingRedisCache : IDistributedCache
{
    /// <summary>The share of the sliding window after which a read refreshes the TTL again: a twentieth (1 minute of 20).</summary>
    public const int RefreshFraction = 20;

    private const long NotPresent = -1;

    private static readonly RedisValue[] Fields = ["absexp", "sldexp", "data"];

    private readonly IDistributedCache _inner;
    private readonly Func<IDatabase> _database;
    private readonly string _prefix;
    private readonly TimeSpan _slidingWindow;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _refreshedAt = new(StringComparer.Ordinal);
    private long _nextPrune;

    /// <param name="inner">RedisCache, for writes, removals and refreshes this class cannot skip.</param>
    /// <param name="database">The database RedisCache uses (the process's one multiplexer).</param>
    /// <param name="prefix">RedisCache's <see cref="RedisCacheOptions.InstanceName"/>.</param>
    /// <param name="slidingWindow">The sliding expiration the callers set (the session idle timeout).</param>
    /// <param name="time">The clock.</param>
    public RefreshThrottlingRedisCache(IDistributedCache inner, Func<IDatabase> database, string? prefix, TimeSpan slidingWindow, TimeProvider time)
    {
        _inner = inner;
        _database = database;
        _prefix = prefix ?? "";
        _slidingWindow = slidingWindow;
        _time = time;
        RefreshInterval = slidingWindow / RefreshFraction;
    }

    /// <summary>How long after this process set an entry's TTL a read leaves it alone.</summary>
    public TimeSpan RefreshInterval { get; }

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        token.ThrowIfCancellationRequested();
        var redisKey = (RedisKey)(_prefix + key);
        var database = _database();
        var now = _time.GetUtcNow();
        if (IsFresh(key, now))
        {
            var (data, fix) = Read(key, await database.HashGetAsync(redisKey, Fields), now, refreshed: false);
            return fix is { } timeout ? await FixTtlAsync(database, redisKey, key, timeout, data) : data;
        }

        // Not refreshed here lately: the read and the refresh go in one batch (one round trip). The window is
        // the callers' sliding expiration; an entry with another window or an absolute expiration is corrected below.
        var batch = database.CreateBatch();
        var read = batch.HashGetAsync(redisKey, Fields);
        var expire = batch.KeyExpireAsync(redisKey, _slidingWindow);
        batch.Execute();
        await Task.WhenAll(read, expire);
        var values = read.Result;
        var (found, correction) = Read(key, values, now, refreshed: true);
        return correction is { } exact ? await FixTtlAsync(database, redisKey, key, exact, found) : found;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        _inner.Set(key, value, options);
        MarkRefreshed(key, options, _time.GetUtcNow());
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var now = _time.GetUtcNow();
        await _inner.SetAsync(key, value, options, token);
        MarkRefreshed(key, options, now);
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        var now = _time.GetUtcNow();
        if (IsFresh(key, now))
        {
            return;
        }

        await _inner.RefreshAsync(key, token);
        _refreshedAt[key] = now.UtcTicks;
    }

    public void Remove(string key)
    {
        _refreshedAt.TryRemove(key, out _);
        _inner.Remove(key);
    }

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        _refreshedAt.TryRemove(key, out _);
        return _inner.RemoveAsync(key, token);
    }

    private bool IsFresh(string key, DateTimeOffset now) =>
        _refreshedAt.TryGetValue(key, out var at) && now.UtcTicks - at < RefreshInterval.Ticks;

    /// <summary>
    /// The entry's data, and the TTL it should have when the one this class gave it (or left it) is wrong:
    /// another sliding window than the callers', or an absolute expiration that comes first.
    /// </summary>
    private (byte[]? Data, TimeSpan? Fix) Read(string key, RedisValue[] values, DateTimeOffset now, bool refreshed)
    {
        var data = (byte[]?)values[2];
        if (data is null)
        {
            _refreshedAt.TryRemove(key, out _);
            return (null, null);
        }

        var absolute = values[0].TryParse(out long a) ? a : NotPresent;
        var sliding = values[1].TryParse(out long s) ? s : NotPresent;
        if (sliding == _slidingWindow.Ticks && absolute == NotPresent)
        {
            if (refreshed)
            {
                MarkAt(key, now);
            }

            return (data, null);
        }

        if (sliding == NotPresent)
        {
            // Not a sliding entry: RedisCache leaves its TTL alone; undo the refresh if one was sent.
            return (data, refreshed ? TimeToLive(absolute, NotPresent, now) : null);
        }

        return (data, TimeToLive(absolute, sliding, now));
    }

    private async Task<byte[]?> FixTtlAsync(IDatabase database, RedisKey redisKey, string key, TimeSpan timeout, byte[]? data)
    {
        _refreshedAt.TryRemove(key, out _);
        if (timeout == TimeSpan.MaxValue)
        {
            await database.KeyPersistAsync(redisKey);
        }
        else if (timeout > TimeSpan.Zero)
        {
            await database.KeyExpireAsync(redisKey, timeout);
        }

        return data;
    }

    /// <summary>What RedisCache would set: the sliding window, capped by the absolute expiration; none for neither.</summary>
    private static TimeSpan TimeToLive(long absoluteTicks, long slidingTicks, DateTimeOffset now)
    {
        var untilAbsolute = absoluteTicks == NotPresent ? TimeSpan.MaxValue : TimeSpan.FromTicks(absoluteTicks - now.UtcTicks);
        var sliding = slidingTicks == NotPresent ? TimeSpan.MaxValue : TimeSpan.FromTicks(slidingTicks);
        return untilAbsolute < sliding ? untilAbsolute : sliding;
    }

    private void MarkRefreshed(string key, DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        // Only entries with the callers' window and no absolute expiration may skip their refreshes.
        if (options.SlidingExpiration == _slidingWindow && options.AbsoluteExpiration is null && options.AbsoluteExpirationRelativeToNow is null)
        {
            MarkAt(key, now);
        }
        else
        {
            _refreshedAt.TryRemove(key, out _);
        }
    }

    private void MarkAt(string key, DateTimeOffset now)
    {
        _refreshedAt[key] = now.UtcTicks;
        var prune = Interlocked.Read(ref _nextPrune);
        if (now.UtcTicks >= prune && Interlocked.CompareExchange(ref _nextPrune, now.UtcTicks + RefreshInterval.Ticks, prune) == prune)
        {
            // An entry older than the interval says nothing any more: the map holds only the last interval's sessions.
            foreach (var (k, at) in _refreshedAt)
            {
                if (now.UtcTicks - at >= RefreshInterval.Ticks)
                {
                    _refreshedAt.TryRemove(KeyValuePair.Create(k, at));
                }
            }
        }
    }
}
