using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Takes a backend whose process has died out of the cluster at once, instead of after the failure
/// detector's pause and the split-brain resolver's stable-after (about 10 s, cluster.hocon). Until a member
/// is out, every sync write waits for it (<see cref="SessionReplicator.EveryoneTimeout"/>, 300 ms) before it
/// settles for a majority. When the connection to a member closes, or the failure detector finds it unreachable,
/// this node tries to connect to that member's cluster port: a refused connection means no process listens
/// there any more (a backend that is alive, even one that is paused or overloaded, still accepts: the kernel
/// completes the handshake), and the member is marked down and that incarnation quarantined, which Akka's own
/// downing would do seconds later; the leader then removes it and the replicator stops asking it. A member that
/// is merely slow, or that does not answer at all (a host that is gone), is left to Akka's failure detector and
/// split-brain resolver.
/// </summary>
/// <remarks>
/// On another host a refused connection can also come from a firewall that rejects connections between two
/// halves of the cluster, and each half would down the other. So across a network this node downs a refusing
/// member only while it can still connect to a majority of the members, itself included (<see cref="MayDown"/>):
/// the split-brain resolver's keep-majority rule, decided by connecting instead of by waiting. An isolated node
/// reaches no majority and downs no one. On loopback there is no network in between, and a refusal is proof.
/// </remarks>
internal sealed class DeadPeerWatcher : ReceiveActor
{
    /// <summary>How long a connect to a peer's cluster port may take before the peer counts as silent (neither gone nor reachable).</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    public DeadPeerWatcher(ILogger<DeadPeerWatcher> logger)
    {
        var cluster = Cluster.Get(Context.System);
        var provider = (IRemoteActorRefProvider)((ExtendedActorSystem)Context.System).Provider;
        ReceiveAsync<DisassociatedEvent>(disassociated => CheckAsync(disassociated.RemoteAddress));
        ReceiveAsync<ClusterEvent.UnreachableMember>(unreachable => CheckAsync(unreachable.Member.Address));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });

        async Task CheckAsync(Address address)
        {
            var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address));
            if (member is null || member.Address.Equals(cluster.SelfAddress) || !Counts(member.Status))
            {
                return;
            }

            if (await ProbeAsync(address) != PeerAnswer.Refuses)
            {
                return;
            }

            if (!IsLoopback(address))
            {
                // Across a network: only while this node still reaches a majority of the members.
                var others = cluster.State.Members
                    .Where(m => Counts(m.Status) && !m.Address.Equals(address) && !m.Address.Equals(cluster.SelfAddress))
                    .ToList();
                var answers = await Task.WhenAll(others.Select(m => ProbeAsync(m.Address)));
                var accepting = answers.Count(answer => answer == PeerAnswer.Accepts);
                var members = others.Count + 2;
                if (!MayDown(members, accepting))
                {
                    logger.PeerGoneButNoMajority(address.ToString(), accepting + 1, members);
                    return;
                }
            }

            logger.PeerGone(address.ToString());
            // Down alone is not enough: the leader removes a downed member only once it is also
            // unreachable, which the failure detector says seconds later. Quarantining that incarnation
            // (its process is gone; a restarted backend is a new one) marks it terminated at once.
            cluster.Down(address);
            provider.Quarantine(address, member.UniqueAddress.Uid);
        }
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.UnreachableMember));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>
    /// Whether a node that connects to <paramref name="othersAccepting"/> of the other members (neither itself nor the
    /// refusing one counted) may down a refusing member across a network: when it and they are more than half of the
    /// <paramref name="members"/>, the refusing one included. An isolated node (0 accepting) never may; in a cluster
    /// of two, neither may, and Akka's split-brain resolver decides.
    /// </summary>
    internal static bool MayDown(int members, int othersAccepting) => (othersAccepting + 1) * 2 > members;

    /// <summary>Whether <paramref name="address"/> is on this machine's loopback.</summary>
    internal static bool IsLoopback(Address address) =>
        address.Host is { } host && IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);

    /// <summary>What a connect to <paramref name="address"/>'s port says of the process behind it; never throws.</summary>
    internal static async Task<PeerAnswer> ProbeAsync(Address address)
    {
        if (address.Host is not { } host || address.Port is not { } port)
        {
            return PeerAnswer.Silent;
        }

        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            var ip = IPAddress.TryParse(host.Trim('[', ']'), out var parsed)
                ? parsed
                : (await Dns.GetHostAddressesAsync(host, timeout.Token)).FirstOrDefault();
            if (ip is null)
            {
                return PeerAnswer.Silent;
            }

            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(ip, port), timeout.Token);
            return PeerAnswer.Accepts;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return PeerAnswer.Refuses;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // Unreachable, unresolvable or slow to answer: not proof that the process is gone; the failure detector decides.
            return PeerAnswer.Silent;
        }
    }

    private static bool Counts(MemberStatus status) =>
        status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining or MemberStatus.Leaving;

    /// <summary>What a connect to a member's cluster port said.</summary>
    internal enum PeerAnswer
    {
        /// <summary>The connection was made: a process listens, however slow it is.</summary>
        Accepts,

        /// <summary>Refused: nothing listens on that port (or, across a network, a firewall rejects it).</summary>
        Refuses,

        /// <summary>No answer in time, or the name did not resolve: nothing is known.</summary>
        Silent,
    }
}
