using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Takes a backend whose process has died out of the cluster at once, instead of after the failure
/// detector's pause and the split-brain resolver's stable-after (about 10 s, cluster.hocon). Until a member
/// is out, a majority write may first ask the dead one and wait a fifth of the majority timeout before it
/// asks another (docs/replicated.md). When the connection to a member closes, this node tries to connect
/// to that member's cluster port: a refused connection means no process listens there any more (a backend
/// that is alive, even one that is paused or overloaded, still accepts), and the member is marked down and
/// that incarnation quarantined, which Akka's own downing would do seconds later; the leader then removes it
/// and the replicator stops asking it. A member that is merely slow is never downed here, nor one on another
/// machine (<see cref="RefusesConnectionsAsync"/>).
/// </summary>
internal sealed class DeadPeerWatcher : ReceiveActor
{
    /// <summary>How long a connect to a peer's cluster port may take before the peer counts as alive and busy.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    public DeadPeerWatcher(ILogger<DeadPeerWatcher> logger)
    {
        var cluster = Cluster.Get(Context.System);
        var provider = (IRemoteActorRefProvider)((ExtendedActorSystem)Context.System).Provider;
        ReceiveAsync<DisassociatedEvent>(async disassociated =>
        {
            var address = disassociated.RemoteAddress;
            var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address));
            if (member is null || member.Address.Equals(cluster.SelfAddress)
                || member.Status is not (MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining))
            {
                return;
            }

            if (await RefusesConnectionsAsync(address))
            {
                logger.PeerGone(address.ToString());
                // Down alone is not enough: the leader removes a downed member only once it is also
                // unreachable, which the failure detector says seconds later. Quarantining that incarnation
                // (its process is gone; a restarted backend is a new one) marks it terminated at once.
                cluster.Down(address);
                provider.Quarantine(address, member.UniqueAddress.Uid);
            }
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>
    /// Whether nothing listens on <paramref name="address"/>'s port any more. Only a loopback address is
    /// tried: on one machine a refused connection proves the process is gone, while across a network a
    /// firewall that rejects connections between two halves would make each half down the other.
    /// </summary>
    internal static async Task<bool> RefusesConnectionsAsync(Address address)
    {
        if (address.Host is not { } host || address.Port is not { } port
            || !IPAddress.TryParse(host.Trim('[', ']'), out var ip) || !IPAddress.IsLoopback(ip))
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(ProbeTimeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(ip, port), timeout.Token);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // Unreachable, or slow to answer: not proof that the process is gone; the failure detector decides.
            return false;
        }
    }
}
