using Akka.DistributedData;
using Microsoft.Extensions.Caching.Distributed;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// <see cref="IDistributedCache"/> on Akka.NET DistributedData: every session is held by every backend,
/// in replicated last-writer-wins dictionaries, so ASP.NET Core's session middleware works on it as it
/// does on Redis. <c>sync</c> reads and writes wait for a majority of the backends; <c>async</c> ones
/// are local and spread in the background (Tomcat's DeltaManager default).
/// </summary>
/// <remarks>
/// A read does not slide the expiry (it would turn every read into a replicated write): the session
/// middleware refreshes after each request that did not change the session, and that refresh writes
/// at most once per <see cref="RefreshGranularity"/>.
/// </remarks>
internal sealed class ReplicatedDistributedCache(
    SessionReplicator replicator, SessionShards shards, ReplicaReadiness readiness, TimeProvider timeProvider) : IDistributedCache
{
    /// <summary>The coarsest step in which a sliding expiry moves on; no more than a quarter of the window.</summary>
    public static readonly TimeSpan RefreshGranularity = TimeSpan.FromMinutes(1);

    private static readonly LWWDictionary<long, byte[]> Empty = LWWDictionary<long, byte[]>.Empty;

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        (await ReadAsync(key, token))?.Data;

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        readiness.ThrowIfNotReady();
        var now = timeProvider.GetUtcNow();
        var absolute = options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
        if (absolute is { } abs && abs <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), abs, "The absolute expiration value must be in the future.");
        }

        var entry = new ReplicatedEntry(
            key,
            ExpiresAt(now, absolute?.UtcTicks ?? ReplicatedEntry.NotSet, options.SlidingExpiration?.Ticks ?? ReplicatedEntry.NotSet),
            options.SlidingExpiration?.Ticks ?? ReplicatedEntry.NotSet,
            absolute?.UtcTicks ?? ReplicatedEntry.NotSet,
            now.UtcTicks,
            value);
        var (shard, id) = shards.Locate(key);
        var bytes = entry.Encode();
        var self = replicator.SelfNode;
        return replicator.UpdateAsync(shard, Empty, replicator.Write, dictionary => dictionary.SetItem(self, id, bytes), token);
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        if (await ReadAsync(key, token) is not { SlidingTicks: not ReplicatedEntry.NotSet } entry)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        var sliding = TimeSpan.FromTicks(entry.SlidingTicks);
        var step = sliding / 4 < RefreshGranularity ? sliding / 4 : RefreshGranularity;
        if (now.UtcTicks - entry.WrittenAtTicks < step.Ticks)
        {
            return;
        }

        var refreshed = entry with { ExpiresAtTicks = ExpiresAt(now, entry.AbsoluteTicks, entry.SlidingTicks), WrittenAtTicks = now.UtcTicks };
        var (shard, id) = shards.Locate(key);
        var bytes = refreshed.Encode();
        var self = replicator.SelfNode;
        // Only if the entry is still the one read: a refresh must never bring back older session
        // data over a change that another request wrote in the meantime.
        await replicator.UpdateAsync(shard, Empty, replicator.Write, dictionary =>
            dictionary.TryGetValue(id, out var current) && ReplicatedEntry.TryDecode(current, out var stored) && stored.WrittenAtTicks == entry.WrittenAtTicks
                ? dictionary.SetItem(self, id, bytes)
                : dictionary,
            token);
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        readiness.ThrowIfNotReady();
        var (shard, id) = shards.Locate(key);
        var self = replicator.SelfNode;
        return replicator.UpdateAsync(shard, Empty, replicator.Write, dictionary => dictionary.Remove(self, id), token);
    }

    private async Task<ReplicatedEntry?> ReadAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        readiness.ThrowIfNotReady();
        var (shard, id) = shards.Locate(key);
        var dictionary = await replicator.GetAsync(shard, replicator.Read, token);
        if (dictionary is null || !dictionary.TryGetValue(id, out var bytes) || !ReplicatedEntry.TryDecode(bytes, out var entry))
        {
            return null;
        }

        // A different key with the same 64-bit hash is a miss, not someone else's session.
        return entry.Key == key && !entry.IsExpired(timeProvider.GetUtcNow()) ? entry : null;
    }

    /// <summary>The sooner of the absolute expiry and the end of the sliding window from <paramref name="now"/>.</summary>
    internal static long ExpiresAt(DateTimeOffset now, long absoluteTicks, long slidingTicks)
    {
        var sliding = slidingTicks == ReplicatedEntry.NotSet ? long.MaxValue : now.UtcTicks + slidingTicks;
        var absolute = absoluteTicks == ReplicatedEntry.NotSet ? long.MaxValue : absoluteTicks;
        return Math.Min(sliding, absolute);
    }
}
