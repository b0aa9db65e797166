using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using StickyLb.BackendApp.Replicated;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Backend.Replicated;

public sealed class DeadPeerWatcherTests
{
    [Fact]
    public async Task APeerWhosePortRefusesConnectionsIsGone()
    {
        Assert.Equal(DeadPeerWatcher.PeerAnswer.Refuses, await DeadPeerWatcher.ProbeAsync(Peer("127.0.0.1", FreePorts.Next())));
    }

    [Fact]
    public async Task APeerThatStillAcceptsConnectionsIsNotGoneEvenIfItNeverAnswers()
    {
        // A paused or overloaded backend: the kernel still completes the handshake.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        Assert.Equal(DeadPeerWatcher.PeerAnswer.Accepts, await DeadPeerWatcher.ProbeAsync(Peer("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port)));
    }

    [Fact]
    public async Task APeerWhoseNameDoesNotResolveIsNotTakenForGone()
    {
        // .invalid never resolves (RFC 6761): nothing is known, and the failure detector decides.
        Assert.Equal(DeadPeerWatcher.PeerAnswer.Silent, await DeadPeerWatcher.ProbeAsync(Peer("backend-2.invalid", FreePorts.Next())));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("10.213.7.12", false)]
    [InlineData("backend-2.example", false)]
    public void OnlyALoopbackPeerCountsAsOnThisMachine(string host, bool loopback)
    {
        Assert.Equal(loopback, DeadPeerWatcher.IsLoopback(Peer(host, 2551)));
    }

    [Theory]
    // Three backends, one refusing: the survivor that still reaches the third downs it.
    [InlineData(3, 1, true)]
    // An isolated node (both others refuse or are silent) downs no one: it may be the one cut off.
    [InlineData(3, 0, false)]
    // Two backends: one alone is no majority, so Akka's split-brain resolver decides.
    [InlineData(2, 0, false)]
    [InlineData(4, 1, false)]
    [InlineData(4, 2, true)]
    [InlineData(5, 1, false)]
    [InlineData(5, 2, true)]
    public void AcrossANetworkARefusingPeerIsDownedOnlyByANodeThatReachesAMajority(int members, int othersAccepting, bool mayDown)
    {
        Assert.Equal(mayDown, DeadPeerWatcher.MayDown(members, othersAccepting));
    }

    private static Address Peer(string host, int port) => new("akka.tcp", ReplicatedServiceCollectionExtensions.ActorSystemName, host, port);
}
