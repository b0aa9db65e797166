using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StickyLb.BackendApp.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Redis;

[Trait("Category", "Store")]
public sealed class RespConnectionTests
{
    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task PipelinedCommandsGetTheirRepliesInOrder(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();

        var replies = await connection.ExecuteAsync(
            [RespProtocol.Command("SET", "a", "1"), RespProtocol.Command("INCR", "a"), RespProtocol.Command("GET", "a"), RespProtocol.Command("GET", "missing")],
            CancellationToken.None);

        Assert.Equal(["OK", "2", "2", "(nil)"], replies.Select(r => r.ToString()));
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task ManyConcurrentCallersShareOneConnection(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
            (await connection.ExecuteAsync(RespProtocol.Command("ECHO", $"value{i}"), CancellationToken.None)).AsString()));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"value{i}"), results);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AnErrorReplyIsReturnedAndTheConnectionStaysUsable(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        await connection.ExecuteAsync(RespProtocol.Command("SET", "s", "text"), CancellationToken.None);

        var error = await connection.ExecuteAsync(RespProtocol.Command("HGET", "s", "f"), CancellationToken.None);
        var next = await connection.ExecuteAsync(RespProtocol.Command("GET", "s"), CancellationToken.None);

        Assert.Equal(RespType.Error, error.Type);
        Assert.Throws<RespServerException>(() => error.ThrowIfError());
        Assert.Equal("text", next.AsString());
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AfterTheServerDiesAndReturnsTheConnectionReconnectsByItself(string kind)
    {
        await using var server = await StoreServer.StartAsync(kind);
        await using var connection = server.Connect();
        await connection.ExecuteAsync(RespProtocol.Command("SET", "k", "before"), CancellationToken.None);

        server.Kill();
        var whileDown = await Assert.ThrowsAsync<RespConnectionException>(() => connection.ExecuteAsync(RespProtocol.Command("GET", "k"), CancellationToken.None));
        await server.RestartAsync();
        var afterRestart = await connection.ExecuteAsync(RespProtocol.Command("GET", "k"), CancellationToken.None);

        Assert.Contains(server.Endpoint, whileDown.Message);
        Assert.Equal("before", afterRestart.AsString());
    }

    [Fact]
    public async Task NothingListeningFailsFastWithAClearMessage()
    {
        var port = FreePorts.Next();
        await using var connection = new RespConnection($"127.0.0.1:{port}", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<RespConnectionException>(() => connection.ExecuteAsync(RespProtocol.Command("PING"), CancellationToken.None));

        Assert.Equal($"Cannot connect to the store at 127.0.0.1:{port}: ConnectionRefused.", error.Message);
    }

    [Fact]
    public async Task AServerThatNeverAnswersFailsTheCommandAfterTheCommandTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var connection = new RespConnection($"127.0.0.1:{port}", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300));
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RespConnectionException>(() => connection.ExecuteAsync(RespProtocol.Command("PING"), CancellationToken.None));

        Assert.Contains("did not answer", error.Message);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TheCallersCancellationIsHonoured()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var connection = new RespConnection($"127.0.0.1:{port}", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var command = connection.ExecuteAsync(RespProtocol.Command("PING"), cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command);
    }
}
