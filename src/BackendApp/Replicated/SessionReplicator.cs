using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Microsoft.Extensions.Options;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Reads and updates replicated data through Akka's replicator with the consistency that
/// <c>--replication</c> chose: <c>sync</c> waits for a majority of the nodes, <c>async</c> for this node only.
/// </summary>
internal sealed class SessionReplicator
{
    private readonly ActorSystem _system;
    private readonly TimeSpan _askTimeout;
    private readonly ReplicatorReplies _replies;

    public SessionReplicator(ActorSystem system, IOptions<ReplicatedOptions> options)
    {
        _system = system;
        _replies = new ReplicatorReplies(((ExtendedActorSystem)system).Provider);
        var timeout = options.Value.Timeout;
        // A majority write or read answers by itself within the timeout; the ask waits a little longer
        // so that its answer (a timeout reply) is what the caller sees.
        _askTimeout = timeout + TimeSpan.FromSeconds(1);
        (Read, Write) = options.Value.IsSync
            ? ((IReadConsistency)new ReadMajority(timeout), (IWriteConsistency)new WriteMajority(timeout))
            : (ReadLocal.Instance, WriteLocal.Instance);
        Majority = (new ReadMajority(timeout), new WriteMajority(timeout));
        IsSync = options.Value.IsSync;
        Everyone = new WriteAll(timeout < EveryoneTimeout ? timeout : EveryoneTimeout);
    }

    /// <summary>
    /// How long a write to every node waits before it settles for a majority: a node that does not answer that
    /// fast is dead, paused or cut off, and then it notices (<see cref="LocalReadRights"/>). 300 ms.
    /// </summary>
    public static readonly TimeSpan EveryoneTimeout = TimeSpan.FromMilliseconds(300);

    /// <summary>Whether reads and writes wait for a majority (<c>--replication sync</c>).</summary>
    public bool IsSync { get; }

    /// <summary>A write to every node (<see cref="EveryoneTimeout"/>): a backend's write of a session another one wrote last.</summary>
    public IWriteConsistency Everyone { get; }

    /// <summary>A read of this node's own replica only.</summary>
    public IReadConsistency Local { get; } = ReadLocal.Instance;

    /// <summary>How sessions are read: majority (sync) or local (async).</summary>
    public IReadConsistency Read { get; }

    /// <summary>How sessions are written: majority (sync) or local (async).</summary>
    public IWriteConsistency Write { get; }

    /// <summary>Majority reads and writes, whatever the mode: for what must never diverge (the key ring, joining).</summary>
    public (IReadConsistency Read, IWriteConsistency Write) Majority { get; }

    /// <summary>This node, as replicated data records who changed what.</summary>
    public UniqueAddress SelfNode => Cluster.Get(_system).SelfUniqueAddress;

    private IActorRef Replicator => DistributedData.Get(_system).Replicator;

    /// <summary>The value under <paramref name="key"/>, or null when no node has written it.</summary>
    public async Task<T?> GetAsync<T>(IKey<T> key, IReadConsistency consistency, CancellationToken cancellationToken)
        where T : class, IReplicatedData<T>
    {
        var request = ReplicatorReplies.NewRequest();
        Replicator.Tell(Dsl.Get(key, consistency, request), _replies);
        var reply = await AnswerAsync(request, key.Id, cancellationToken);
        return reply switch
        {
            GetSuccess success => success.Get(key),
            NotFound => null,
            GetFailure => throw new ReplicationException($"Reading '{key.Id}' from a majority of the nodes timed out."),
            _ => throw new ReplicationException($"Reading '{key.Id}' failed: {reply}."),
        };
    }

    /// <summary>Applies <paramref name="modify"/> to the value under <paramref name="key"/> (<paramref name="empty"/> if none).</summary>
    public async Task UpdateAsync<T>(IKey<T> key, T empty, IWriteConsistency consistency, Func<T, T> modify, CancellationToken cancellationToken)
        where T : IReplicatedData<T>
    {
        var request = ReplicatorReplies.NewRequest();
        Replicator.Tell(Dsl.Update(key, empty, consistency, request, modify), _replies);
        var reply = await AnswerAsync(request, key.Id, cancellationToken);
        switch (reply)
        {
            case UpdateSuccess:
                return;
            case UpdateTimeout:
                // The change is applied here and spreads by gossip; only the acknowledgement is missing.
                throw new ReplicationException($"Writing '{key.Id}' to a majority of the nodes timed out.");
            default:
                throw new ReplicationException($"Writing '{key.Id}' failed: {reply}.");
        }
    }

    /// <summary>
    /// The replicator's answer to <paramref name="request"/>. It answers a majority read or write by itself within the
    /// consistency's timeout; no answer a second later means the replicator itself is gone (restarting, stopping).
    /// </summary>
    private async Task<object> AnswerAsync(TaskCompletionSource<object> request, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await request.Task.WaitAsync(_askTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new ReplicationException($"The replicator did not answer for '{key}' within {_askTimeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>How many nodes the replicator currently replicates to, itself included.</summary>
    public async Task<int> ReplicaCountAsync(CancellationToken cancellationToken)
    {
        var reply = await Replicator.Ask<ReplicaCount>(Dsl.GetReplicaCount, _askTimeout, cancellationToken);
        return reply.N;
    }
}
