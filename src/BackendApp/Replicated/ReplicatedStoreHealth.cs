using Akka.Actor;
using Akka.Cluster;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Replicated;

/// <summary>Replicated mode: serving once this node has joined and holds the others' sessions, until it leaves.</summary>
internal sealed class ReplicatedStoreHealth(ReplicaReadiness readiness, ActorSystem system) : IStoreHealth
{
    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) =>
        Task.FromResult(readiness.IsReady && !system.WhenTerminated.IsCompleted && !Cluster.Get(system).IsTerminated);

    public int? Members => Cluster.Get(system).State.Members.Count(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining or MemberStatus.Leaving);
}
