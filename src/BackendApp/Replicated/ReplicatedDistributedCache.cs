using Akka.DistributedData;
using Microsoft.Extensions.Caching.Distributed;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// <see cref="IDistributedCache"/> on Akka.NET DistributedData: every session is held by every backend,
/// in replicated last-writer-wins dictionaries, so ASP.NET Core's session middleware works on it as it
/// does on Redis. <c>sync</c> writes wait for a majority of the backends, and so do reads, except a request
/// the gateway marks as a hit on its pin (<see cref="AffinityHeader"/>) for a session whose latest version
/// this backend wrote itself (<see cref="LocalReadRights"/>): that one is read from this backend's own
/// replica. Every sync write goes to every backend (a majority when one does not answer in 300 ms), so that
/// a backend that held the session sees any newer version and stops reading locally. <c>async</c> reads and writes are local and spread in the background
/// (Tomcat's DeltaManager default).
/// </summary>
/// <remarks>
/// A read does not slide the expiry (it would turn every read into a replicated write): the session
/// middleware refreshes after each request that did not change the session, and that refresh writes
/// at most once per <see cref="RefreshGranularity"/>.
/// </remarks>
internal sealed class ReplicatedDistributedCache(
    SessionReplicator replicator,
    SessionShards shards,
    ReplicaReadiness readiness,
    TimeProvider timeProvider,
    LocalReadRights rights,
    IHttpContextAccessor requests) : IDistributedCache
{
    /// <summary>The coarsest step in which a sliding expiry moves on; no more than a quarter of the window.</summary>
    public static readonly TimeSpan RefreshGranularity = TimeSpan.FromMinutes(1);

    private static readonly LWWDictionary<long, byte[]> Empty = LWWDictionary<long, byte[]>.Empty;

    /// <summary>The key under which a request keeps the session it read (<see cref="ReadEntry"/>) for the refresh after it.</summary>
    private static readonly object ReadInThisRequest = new();

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var entry = await ReadAsync(key, token);
        if (requests.HttpContext is { } context)
        {
            context.Items[ReadInThisRequest] = new ReadEntry(key, entry);
        }

        return entry?.Data;
    }

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
        var (_, id) = shards.Locate(key);
        var bytes = entry.Encode();
        var self = replicator.SelfNode;
        return WriteAsync(key, now.UtcTicks, dictionary => dictionary.SetItem(self, id, bytes));
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        // The session middleware refreshes right after the request loaded the session: that read is still good.
        var read = requests.HttpContext?.Items[ReadInThisRequest] is ReadEntry { } earlier && earlier.Key == key
            ? earlier.Entry
            : await ReadAsync(key, token);
        if (read is not { SlidingTicks: not ReplicatedEntry.NotSet } entry)
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
        var (_, id) = shards.Locate(key);
        var bytes = refreshed.Encode();
        var self = replicator.SelfNode;
        // Only if the entry is still the one read (or this refresh, when a write to every node is sent again to a
        // majority): a refresh must never bring back older session data over a change written in the meantime.
        await WriteAsync(key, now.UtcTicks, dictionary =>
            dictionary.TryGetValue(id, out var current) && ReplicatedEntry.TryDecode(current, out var stored)
                && (stored.WrittenAtTicks == entry.WrittenAtTicks || stored.WrittenAtTicks == refreshed.WrittenAtTicks)
                ? dictionary.SetItem(self, id, bytes)
                : dictionary);
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        readiness.ThrowIfNotReady();
        var (shard, id) = shards.Locate(key);
        var self = replicator.SelfNode;
        rights.Forget(key);
        await replicator.UpdateAsync(shard, Empty, replicator.Write, dictionary => dictionary.Remove(self, id), token);
    }

    /// <summary>
    /// A write with the mode's consistency; in sync mode to every node, settling for a majority when some node does not
    /// answer in time. To every node, so that a backend that reads a session locally sees any newer version at once: a
    /// write only to a majority, by a backend that believed it wrote the session last while another wrote it at the same
    /// time, left the other reading its own, overwritten version (found by
    /// <c>AHitOnABackendThatMissedTheUsersChangesElsewhereNeverReadsStaleData</c>, 2 runs in 3).
    /// </summary>
    /// <remarks>
    /// The wait for the answer takes no cancellation token (the request's is cancelled when its client goes away):
    /// the replicator has the change by then and answers within the write's timeout anyway. Giving up the wait lost the
    /// acknowledgement, so the backend forgot its right to read the session locally, and a user who then only read
    /// asked a majority on every request: at the end of each stores bench run the aborted requests left 80% of a
    /// read-only run's reads going to a majority (dotnet-counters, <see cref="ReplicatedMetrics"/>).
    /// </remarks>
    private async Task WriteAsync(string key, long writtenAtTicks, Func<LWWDictionary<long, byte[]>, LWWDictionary<long, byte[]>> modify)
    {
        var token = CancellationToken.None;
        var (shard, _) = shards.Locate(key);
        if (!replicator.IsSync)
        {
            await replicator.UpdateAsync(shard, Empty, replicator.Write, modify, token);
            return;
        }

        try
        {
            try
            {
                await replicator.UpdateAsync(shard, Empty, replicator.Everyone, modify, token);
            }
            catch (ReplicationException)
            {
                ReplicatedMetrics.MajorityFallbacks.Add(1);
                // Some node did not answer in time (dead, paused or cut off: it forgets its rights when it notices);
                // a majority is what the change needs to be acknowledged.
                await replicator.UpdateAsync(shard, Empty, replicator.Write, modify, token);
            }
        }
        catch
        {
            rights.Forget(key);
            throw;
        }

        rights.Wrote(key, writtenAtTicks);
        ReplicatedMetrics.Writes.Add(1);
    }

    private async Task<ReplicatedEntry?> ReadAsync(string key, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        readiness.ThrowIfNotReady();
        var (shard, id) = shards.Locate(key);
        var now = timeProvider.GetUtcNow();
        if (!replicator.IsSync)
        {
            return Live(Find(await replicator.GetAsync(shard, replicator.Read, token), id, key), now);
        }

        if (IsHit() && Find(await replicator.GetAsync(shard, replicator.Local, token), id, key) is { } local
            && rights.MayReadLocally(key, local.WrittenAtTicks))
        {
            ReplicatedMetrics.LocalReads.Add(1);
            return Live(local, now);
        }

        var latest = Find(await replicator.GetAsync(shard, replicator.Read, token), id, key);
        ReplicatedMetrics.MajorityReads.Add(1);
        rights.ReadFromMajority(key, latest?.WrittenAtTicks);
        return Live(latest, now);
    }

    private bool IsHit() => requests.HttpContext is { } context && AffinityHeader.IsHit(context.Request.Headers[AffinityHeader.Name]);

    /// <summary>The entry of <paramref name="key"/>; a different key with the same 64-bit hash is a miss, not someone else's session.</summary>
    private static ReplicatedEntry? Find(LWWDictionary<long, byte[]>? dictionary, long id, string key) =>
        dictionary is not null && dictionary.TryGetValue(id, out var bytes) && ReplicatedEntry.TryDecode(bytes, out var entry) && entry.Key == key
            ? entry
            : null;

    private static ReplicatedEntry? Live(ReplicatedEntry? entry, DateTimeOffset now) =>
        entry is { } found && !found.IsExpired(now) ? found : null;

    /// <summary>The sooner of the absolute expiry and the end of the sliding window from <paramref name="now"/>.</summary>
    internal static long ExpiresAt(DateTimeOffset now, long absoluteTicks, long slidingTicks)
    {
        var sliding = slidingTicks == ReplicatedEntry.NotSet ? long.MaxValue : now.UtcTicks + slidingTicks;
        var absolute = absoluteTicks == ReplicatedEntry.NotSet ? long.MaxValue : absoluteTicks;
        return Math.Min(sliding, absolute);
    }

    /// <summary>What a request read: the session key and its entry (null: none).</summary>
    private sealed record ReadEntry(string Key, ReplicatedEntry? Entry);
}
