using Akka.Actor;
using Akka.DistributedData;

namespace StickyLb.BackendApp.Replicated;

/// <summary>Keeps <see cref="ReplicatedSessionCount"/> current by subscribing to every shard.</summary>
internal sealed class SessionCountActor : ReceiveActor
{
    private readonly SessionShards _shards;
    private readonly IActorRef _replicator;

    public SessionCountActor(SessionShards shards, ReplicatedSessionCount count, IActorRef replicator)
    {
        _shards = shards;
        _replicator = replicator;
        var index = shards.Keys.Select((key, i) => (key.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        Receive<Changed>(changed =>
        {
            if (index.TryGetValue(changed.Key.Id, out var shard))
            {
                count.Set(shard, changed.Get(shards.Keys[shard]).Count);
            }
        });
    }

    protected override void PreStart()
    {
        foreach (var key in _shards.Keys)
        {
            _replicator.Tell(Dsl.Subscribe(key, Self));
        }
    }

    public static Props Props(SessionShards shards, ReplicatedSessionCount count, IActorRef replicator) =>
        Akka.Actor.Props.Create(() => new SessionCountActor(shards, count, replicator));
}
