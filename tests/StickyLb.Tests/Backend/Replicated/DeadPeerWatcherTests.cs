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
        Assert.True(await DeadPeerWatcher.RefusesConnectionsAsync(Peer("127.0.0.1", FreePorts.Next())));
    }

    [Fact]
    public async Task APeerThatStillAcceptsConnectionsIsNotGoneEvenIfItNeverAnswers()
    {
        // A paused or overloaded backend: the kernel still completes the handshake.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        Assert.False(await DeadPeerWatcher.RefusesConnectionsAsync(Peer("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port)));
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("backend-2.example")]
    public async Task APeerOnAnotherMachineIsNeverTriedAndSoNeverTakenForGone(string host)
    {
        // Across a network a refusing firewall would look like a dead process on both sides of it.
        Assert.False(await DeadPeerWatcher.RefusesConnectionsAsync(Peer(host, FreePorts.Next())));
    }

    private static Address Peer(string host, int port) => new("akka.tcp", ReplicatedServiceCollectionExtensions.ActorSystemName, host, port);
}
