using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Microsoft.AspNetCore.DataProtection;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Makes a starting backend ready: waits until it is Up in the cluster and its replicator knows every
/// other member, pulls every shard and the key ring from a majority of the nodes (the replicator keeps
/// what a majority read returns), loads the key ring, and only then lets <c>/healthz</c> answer 200.
/// So a backend that starts or restarts holds every session before the gateway sends it a single user.
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
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

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

        var nodes = await RetryAsync(token => WaitForReplicasAsync(cluster, token), stoppingToken);
        logger.Joined(cluster.SelfAddress.ToString(), nodes);

        await Parallel.ForEachAsync(shards.Keys, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = stoppingToken }, async (shard, token) =>
            await RetryAsync(t => replicator.GetAsync(shard, replicator.Majority.Read, t), token));
        await HoldKeyRingAsync(cluster, stoppingToken);

        // Loads the shared key ring, or on the oldest backend of a new cluster creates it, before any request needs it.
        await RetryAsync(_ => Task.FromResult(dataProtection.CreateProtector(nameof(ReplicaWarmup)).Protect([1])), stoppingToken);
        readiness.MarkReady();
        logger.Ready(await count.CountAsync(stoppingToken), (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Pulls the key ring from a majority of the nodes into this node's replica. When the cluster has no
    /// key yet, only its oldest member goes on (and makes the first key); the others wait until that key
    /// reaches them. Backends that start together would otherwise each make a key of their own, and each
    /// would keep using its own: a cookie made on one would be unreadable on another.
    /// </summary>
    private async Task HoldKeyRingAsync(Cluster cluster, CancellationToken stoppingToken)
    {
        while (true)
        {
            var ring = await RetryAsync(token => replicator.GetAsync(ReplicatedXmlRepository.Key, replicator.Majority.Read, token), stoppingToken);
            if (ring is { Count: > 0 } || IsOldest(cluster))
            {
                readiness.MarkKeyRingHeld();
                return;
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    /// <summary>Whether this node is the oldest Up member: one node in the whole cluster, the same in every node's view.</summary>
    private static bool IsOldest(Cluster cluster) =>
        cluster.State.Members.Where(m => m.Status == MemberStatus.Up).OrderBy(m => m, Member.AgeOrdering).FirstOrDefault()?.UniqueAddress
            == cluster.SelfUniqueAddress;

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

    /// <summary>
    /// Runs <paramref name="step"/> until it succeeds: a node that dies while it is asked, or a machine
    /// too busy to answer in time, delays readiness but never ends this backend.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await step(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.WarmupRetry(ex.Message);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }
}
