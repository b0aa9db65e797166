using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// No client can take a healthy backend out of rotation: requests whose headers cannot be forwarded,
/// clients that go away mid-request or stop reading, sent by one hostile client to every backend in
/// turn, leave everyone else's requests answered by their own backend.
/// </summary>
public sealed class ClientCausedFailureTests(ITestOutputHelper output)
{
    /// <summary>What the hostile client sends, in turn; <c>{0}</c> is the backend it picks.</summary>
    private static readonly string[] HostileRequests =
    [
        // A header value that is not ASCII: HttpClient refuses to send it.
        "GET / HTTP/1.1\r\nHost: shop\r\nCookie: server={0}\r\nX-Odd: café\r\n\r\n",
        // A full-width digit in the affinity cookie, with a chunked body.
        "POST / HTTP/1.1\r\nHost: shop\r\nCookie: server=１\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        // A full-width semicolon hiding a second cookie.
        "GET / HTTP/1.1\r\nHost: shop\r\nCookie: a=x；server={0}\r\n\r\n",
        // A body that never comes: the client goes away after 10 of 100000 bytes.
        "POST / HTTP/1.1\r\nHost: shop\r\nCookie: server={0}\r\nContent-Length: 100000\r\n\r\n0123456789",
        // A large answer the client stops reading, then leaves.
        "GET /big HTTP/1.1\r\nHost: shop\r\nCookie: server={0}\r\n\r\n",
    ];

    [Fact]
    public async Task OneClientSendingOddRequestsToEveryBackendLeavesEveryoneElseServedByTheirOwn()
    {
        await using var backend1 = Backend("1");
        await using var backend2 = Backend("2");
        await using var backend3 = Backend("3");
        // Return503Error: a backend out of rotation would show as a 503 for the users pinned to it.
        await using var gateway = await InProcessGateway.StartAsync(
            "--spawn", "false",
            "--failover", "Return503Error",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", backend1.Address.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", backend2.Address.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", backend3.Address.ToString());
        var answered = 0;
        var others = new List<string>();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var hostile = HostileAsync(gateway.Gateway.BaseAddress!, stop.Token);
        var users = Enumerable.Range(0, 6).Select(async i =>
        {
            var pinned = (i % 3) + 1;
            using var client = gateway.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Cookie", $"server={pinned}" } } };
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                lock (others)
                {
                    if (response.StatusCode == HttpStatusCode.OK && body == $"backend {pinned}")
                    {
                        answered++;
                    }
                    else
                    {
                        others.Add($"{(int)response.StatusCode} {body}");
                    }
                }
            }
        });
        await Task.WhenAll([hostile, .. users]);
        var sent = await hostile;

        var total = answered + others.Count;
        output.WriteLine($"hostile requests: {sent}; other users: {answered} of {total} answered by their own backend; others: {string.Join(", ", others.Distinct().Take(5))}");
        Assert.True(sent >= 60, $"The hostile client sent only {sent} requests.");
        Assert.True(total > 100, $"Too few requests to judge: {total}.");
        Assert.True(answered >= 0.95 * total, $"Only {answered} of {total} requests were answered by their own backend: {string.Join(", ", others.Distinct().Take(5))}");
        var backends = await gateway.Admin.GetFromJsonAsync<BackendInfo[]>("/api/backends");
        Assert.DoesNotContain(backends!, b => b.Health == "unhealthy");
    }

    [Theory]
    [InlineData("X-Odd: café")]
    [InlineData("Cookie: a=x；server=3")]
    public async Task ARequestWithAHeaderThatCannotBeForwardedGets400AndReachesNoBackend(string header)
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);

        var (status, response) = await RawClient.ExchangeAsync(gateway.Url(), Encoding.UTF8.GetBytes($"GET / HTTP/1.1\r\nHost: shop\r\n{header}\r\nConnection: close\r\n\r\n"));

        Assert.Equal(400, status);
        Assert.Contains("application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ASCII", response, StringComparison.Ordinal);
        Assert.Empty(backend.Requests);
        var backends = await gateway.Admin.GetFromJsonAsync<BackendInfo[]>("/api/backends");
        Assert.DoesNotContain(backends!, b => b.Health == "unhealthy");
    }

    /// <summary>A raw backend that answers <c>backend {id}</c>, and 4 MB to <c>/big</c>.</summary>
    private static RawBackend Backend(string id)
    {
        var big = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {4 << 20}\r\n\r\n").Concat(new byte[4 << 20]).ToArray();
        var small = RawConnection.Bytes($"HTTP/1.1 200 OK\r\nContent-Length: {8 + id.Length}\r\n\r\nbackend {id}");
        return RawBackend.Start(async connection =>
        {
            while (await connection.ReadRequestAsync() is { } request)
            {
                await connection.SendAsync(request.RequestLine.StartsWith("GET /big ", StringComparison.Ordinal) ? big : small);
            }
        });
    }

    /// <summary>25 requests a second from <see cref="HostileRequests"/>, cycling the backends; returns how many were sent.</summary>
    private static async Task<int> HostileAsync(Uri gateway, CancellationToken stop)
    {
        var sent = 0;
        var requests = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(40));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var request = string.Format(System.Globalization.CultureInfo.InvariantCulture, HostileRequests[sent % HostileRequests.Length], (sent % 3) + 1);
                requests.Add(SendAndLeaveAsync(gateway, request));
                sent++;
            }
        }
        catch (OperationCanceledException)
        {
            // The three seconds are over.
        }

        await Task.WhenAll(requests);
        return sent;
    }

    /// <summary>Sends a request as UTF-8 bytes, reads at most a little of the answer, and closes the connection.</summary>
    private static async Task SendAndLeaveAsync(Uri gateway, string request)
    {
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await socket.ConnectAsync(gateway.Host, gateway.Port, timeout.Token);
            await socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, timeout.Token);
            await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
            // Real time on purpose: the hostile client holds the connection with the answer unread, then leaves.
            await Task.Delay(200, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The hostile client does not care what happens.
        }
    }
}
