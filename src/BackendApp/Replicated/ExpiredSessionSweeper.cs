using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Removes expired sessions from the replicated data. Reads already treat them as gone; this frees the
/// memory on every node. Only the cluster's leader sweeps, so that one removal, not N, is replicated.
/// </summary>
internal sealed class ExpiredSessionSweeper(
    ActorSystem system,
    SessionReplicator replicator,
    SessionShards shards,
    ReplicaReadiness readiness,
    TimeProvider timeProvider,
    ILogger<ExpiredSessionSweeper> logger) : BackgroundService
{
    /// <summary>How often the leader looks for expired sessions.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var cluster = Cluster.Get(system);
                if (readiness.IsReady && cluster.State.Leader == cluster.SelfAddress)
                {
                    await SweepAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        var self = replicator.SelfNode;
        try
        {
            foreach (var key in shards.Keys)
            {
                var now = timeProvider.GetUtcNow();
                var shard = await replicator.GetAsync(key, ReadLocal.Instance, cancellationToken);
                if (shard is null || !shard.Entries.Any(e => IsExpired(e.Value, now)))
                {
                    continue;
                }

                await replicator.UpdateAsync(key, LWWDictionary<long, byte[]>.Empty, WriteLocal.Instance, dictionary =>
                {
                    // Checked again here, on the replicator's own copy: a session refreshed meanwhile stays.
                    foreach (var id in dictionary.Entries.Where(e => IsExpired(e.Value, now)).Select(e => e.Key).ToList())
                    {
                        dictionary = dictionary.Remove(self, id);
                        removed++;
                    }

                    return dictionary;
                }, cancellationToken);
            }

            logger.Swept(removed);
        }
        catch (Exception ex) when (ex is ReplicationException or AskTimeoutException)
        {
            logger.SweepFailed(ex);
        }
    }

    private static bool IsExpired(byte[] bytes, DateTimeOffset now) =>
        !ReplicatedEntry.TryDecode(bytes, out var entry) || entry.IsExpired(now);
}
