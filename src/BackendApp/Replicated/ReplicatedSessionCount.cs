using Akka.DistributedData;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Replicated mode's session count: every session this backend holds, its own users' and everyone
/// else's, which is what replication costs in memory. Counted from this node's own replica when asked,
/// at most once per <see cref="MaxAge"/>; 0 until the node is ready (it has not pulled the others' sessions yet).
/// </summary>
/// <remarks>
/// Not kept current by subscribing to the shards: Akka's replicator computes a digest of a subscribed
/// entry (serialized and gzipped) on every write to it: a large share of a busy backend's CPU (docs/replicated.md).
/// </remarks>
internal sealed class ReplicatedSessionCount(SessionReplicator replicator, SessionShards shards, ReplicaReadiness readiness, TimeProvider timeProvider) : ISessionCount, IDisposable
{
    /// <summary>How old a count may be before the next one asked for is counted again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _counting = new(1, 1);
    private int _count;
    private long? _countedAt;

    public async ValueTask<int> CountAsync(CancellationToken cancellationToken)
    {
        if (!readiness.IsReady)
        {
            return 0;
        }

        await _counting.WaitAsync(cancellationToken);
        try
        {
            if (_countedAt is { } at && timeProvider.GetElapsedTime(at) < MaxAge)
            {
                return _count;
            }

            var total = 0;
            await Parallel.ForEachAsync(shards.Keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (shard, token) =>
                Interlocked.Add(ref total, (await replicator.GetAsync(shard, ReadLocal.Instance, token))?.Count ?? 0));
            (_count, _countedAt) = (total, timeProvider.GetTimestamp());
            return total;
        }
        finally
        {
            _counting.Release();
        }
    }

    public void Dispose() => _counting.Dispose();
}
