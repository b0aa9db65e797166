using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Microsoft.AspNetCore.DataProtection;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Makes a starting backend ready: waits until it is Up in the cluster, pulls every shard and the key
/// ring from a majority of the nodes (the replicator keeps what a majority read returns), loads the
/// key ring, and only then lets <c>/healthz</c> answer 200. So a backend that starts or restarts holds
/// every session before the gateway sends it a single user.
/// </summary>
internal sealed class ReplicaWarmup(
    ActorSystem system,
    SessionReplicator replicator,
    SessionShards shards,
    ReplicaReadiness readiness,
    ReplicatedSessionCount count,
    IDataProtectionProvider dataProtection,
    ILogger<ReplicaWarmup> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WarmUpAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before it was ready.
        }
    }

    private async Task WarmUpAsync(CancellationToken stoppingToken)
    {
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(stoppingToken);
        var started = Stopwatch.GetTimestamp();
        readiness.MarkJoined();

        var nodes = await WaitForReplicasAsync(cluster, stoppingToken);
        logger.Joined(cluster.SelfAddress.ToString(), nodes);
        system.ActorOf(SessionCountActor.Props(shards, count, DistributedData.Get(system).Replicator), "session-count");

        var pulled = 0;
        await Parallel.ForEachAsync(shards.Keys, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = stoppingToken }, async (key, token) =>
            Interlocked.Add(ref pulled, (await PullAsync(key, token))?.Count ?? 0));
        await PullAsync(ReplicatedXmlRepository.Key, stoppingToken);

        // Loads the shared key ring, or on the very first backend creates it, before any request needs it.
        dataProtection.CreateProtector(nameof(ReplicaWarmup)).Protect([1]);
        readiness.MarkReady();
        logger.Ready(pulled, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Waits until the replicator replicates to every member that is Up: right after this node is Up it
    /// may not have heard of the others yet, and a "majority" of itself alone would read nothing.
    /// </summary>
    private async Task<int> WaitForReplicasAsync(Cluster cluster, CancellationToken cancellationToken)
    {
        while (true)
        {
            var members = cluster.State.Members.Count(m => m.Status == MemberStatus.Up);
            var replicas = await replicator.ReplicaCountAsync(cancellationToken);
            if (replicas >= members)
            {
                return replicas;
            }

            await Task.Delay(RetryDelay, cancellationToken);
        }
    }

    private async Task<LWWDictionary<long, byte[]>?> PullAsync(LWWDictionaryKey<long, byte[]> key, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await replicator.GetAsync(key, replicator.Majority.Read, cancellationToken);
            }
            catch (Exception ex) when (ex is ReplicationException or AskTimeoutException)
            {
                // A node died while we asked: the next try counts without it once it is unreachable.
                logger.PullRetry(ex.Message);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }
}
