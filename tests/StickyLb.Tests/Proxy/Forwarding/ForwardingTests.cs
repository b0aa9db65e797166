using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// YARP's forwarder in a running gateway, against backends that misbehave on purpose: affinity cookies,
/// connection reuse, stale and refused connections, timeouts, broken responses, clients that go away.
/// </summary>
public sealed class ForwardingTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private const string ServerCookie = "server=1; path=/; samesite=lax; httponly";

    [Fact]
    public async Task TheFirstResponseCarriesTheBackendsCookieAndTheServerCookie()
    {
        await using var backend = RawBackend.Answering("HTTP/1.1 200 OK\r\nSet-Cookie: cart=3; Path=/\r\nContent-Length: 2\r\n\r\nok");
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["cart=3; Path=/", ServerCookie], response.Headers.GetValues("Set-Cookie").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ARequestAlreadyPinnedGetsNoNewServerCookie()
    {
        await using var backend = RawBackend.Answering("HTTP/1.1 200 OK\r\nSet-Cookie: cart=3; Path=/\r\nContent-Length: 2\r\n\r\nok");
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Cookie", "server=1" } } };
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["cart=3; Path=/"], response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task SequentialRequestsShareOneBackendConnection()
    {
        await using var backend = RawBackend.Answering(Ok);
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/page/{i}");
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, backend.AcceptedConnections);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task ARequestAfterTheBackendClosedTheIdleConnectionGoesOutOnANewOne(string method)
    {
        // HttpClient checks a pooled connection before it reuses it, and sends a request that met a
        // connection closing under it again on a new one when the backend cannot have seen it.
        using var closed = new SemaphoreSlim(0);
        await using var backend = AnsweringOnceThenClosing(closed);
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();
        using var first = await client.GetAsync("/first");
        Assert.True(await closed.WaitAsync(TimeSpan.FromSeconds(10)), "The backend did not close its first connection.");

        using var request = new HttpRequestMessage(new HttpMethod(method), "/second");
        if (method == "POST")
        {
            request.Content = new StringContent("{\"id\":1}", Encoding.UTF8, "application/json");
        }

        using var second = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, backend.AcceptedConnections);
    }

    [Fact]
    public async Task ABackendRefusingConnectionsGives502Quickly()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var nobody = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop();
        await using var gateway = await ForwardingGateway.StartAsync(nobody);
        using var client = gateway.CreateClient();
        var clock = Stopwatch.StartNew();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"The 502 took {clock.Elapsed}.");
    }

    [Fact]
    public async Task ABackendThatNeverAnswersGives504AfterTheActivityTimeout()
    {
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            // Never answers: waits until the test is over, past the gateway's 1 s activity timeout.
            await Task.Delay(Timeout.Infinite, connection.Stopping);
        });
        await using var gateway = await ForwardingGateway.StartAsync(
            backend.Address, "--ReverseProxy:Clusters:backends:HttpRequest:ActivityTimeout", "00:00:01");
        using var client = gateway.CreateClient(timeout: TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();

        using var response = await client.GetAsync("/slow");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The 504 took {clock.Elapsed}.");
    }

    [Theory]
    [InlineData("HTTP/1.1 abc\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Leak: yes\r\nthis line has no colon\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Leak: yes\r\nContent-Length: two\r\n\r\nok")]
    [InlineData("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n")]
    public async Task AMalformedResponseHeadGives502AndNoneOfItsHeaders(string head)
    {
        await using var backend = RawBackend.Answering(head);
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Leak"));
    }

    [Fact]
    public async Task AClientLeavingMidBodyClosesTheBackendConnection()
    {
        var backendSawClose = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            backendSawClose.SetResult(await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        });
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);

        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(gateway.Url().Host, gateway.Url().Port);
            await client.SendAsync(RawConnection.Bytes("GET /stream HTTP/1.1\r\nHost: shop.example\r\n\r\n"), SocketFlags.None);
            await ReadUntilAsync(client, "hello");
        }

        Assert.True(await backendSawClose.Task.WaitAsync(TimeSpan.FromSeconds(15)), "The backend connection stayed open after the client left.");
    }

    /// <summary>Answers one request with keep-alive semantics, then closes the connection anyway and says so.</summary>
    private static RawBackend AnsweringOnceThenClosing(SemaphoreSlim closed) => RawBackend.Start(async connection =>
    {
        if (await connection.ReadRequestAsync() is not null)
        {
            await connection.SendAsync(Ok);
        }

        connection.Close();
        closed.Release();
    });

    private static async Task ReadUntilAsync(Socket socket, string expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(count > 0, $"The gateway closed the connection before sending '{expected}': {received}");
            received.Append(Encoding.Latin1.GetString(buffer, 0, count));
        }
    }
}
