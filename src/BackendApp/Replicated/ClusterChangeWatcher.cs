using Akka.Actor;
using Akka.Cluster;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Forgets every local read right (<see cref="LocalReadRights.Interrupt"/>) whenever the cluster's membership or
/// reachability changes as this node sees it: while a member was unreachable or joining, another backend's
/// write may not have reached this one.
/// </summary>
internal sealed class ClusterChangeWatcher : ReceiveActor
{
    public ClusterChangeWatcher(LocalReadRights rights)
    {
        ReceiveAny(_ => rights.Interrupt());
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(
            Self,
            ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent),
            typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
