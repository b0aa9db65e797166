using System.Text;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// The same backend response, as exact bytes from a <see cref="RawBackend"/>, must reach the client
/// identically through <c>--forwarder Http1</c> and <c>--forwarder Yarp</c>: status, reason phrase,
/// headers (the gateway's Date and Server aside; the affinity cookie included) and body.
/// </summary>
public sealed class Http1ForwarderResponseDifferentialTests
{
    private const string OkBody = "Content-Length: 2\r\n\r\nok";

    public static TheoryData<string> Responses => [.. ResponseBytes.Keys];

    private static readonly Dictionary<string, (string Method, byte[] Bytes, bool ThenClose)> ResponseBytes = new()
    {
        ["a Content-Length body"] = Get("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Backend: 7\r\nContent-Length: 11\r\n\r\nhello world"),
        ["a chunked body with a chunk extension and a trailer"] = Get(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n"),
        ["a 1 MiB body"] = ("GET", [
            .. Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n"),
            .. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 7 % 251)),
        ], false),
        ["204 No Content"] = Get("HTTP/1.1 204 No Content\r\nX-Request-Id: 9\r\n\r\n"),
        ["304 Not Modified with an ETag"] = Get("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=60\r\n\r\n"),
        ["a custom reason phrase"] = Get("HTTP/1.1 200 Fine Thanks\r\n" + OkBody),
        ["two Set-Cookie headers"] = Get("HTTP/1.1 200 OK\r\nSet-Cookie: cart=3; Path=/\r\nSet-Cookie: theme=dark; HttpOnly\r\n" + OkBody),
        ["hop-by-hop headers"] = Get(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, Upgrade\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\n"
            + "Alt-Svc: h2=\":443\"\r\nX-Kept: yes\r\n" + OkBody),
        ["103 Early Hints before a 200"] = Get("HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 200 OK\r\nLink: </app.css>; rel=preload\r\n" + OkBody),
        ["a header with an empty value"] = Get("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Full: yes\r\n" + OkBody),
        ["a body that ends when the backend closes"] = ("GET", Encoding.Latin1.GetBytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"), true),
        ["a HEAD response with a Content-Length"] = ("HEAD", Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1234\r\n\r\n"), false),
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task AResponseReachesTheClientExactlyAsThroughYarpsForwarder(string name)
    {
        var (method, bytes, thenClose) = ResponseBytes[name];

        var viaYarp = await ForwardAsync(ForwarderMode.Yarp, method, bytes, thenClose);
        var viaHttp1 = await ForwardAsync(ForwarderMode.Http1, method, bytes, thenClose);

        Assert.True(viaYarp == viaHttp1, $"{name}: the client received\n--- through YARP's forwarder:\n{viaYarp}\n--- through Http1Forwarder:\n{viaHttp1}");
    }

    private static (string, byte[], bool) Get(string response) => ("GET", Encoding.Latin1.GetBytes(response), false);

    private static async Task<string> ForwardAsync(ForwarderMode mode, string method, byte[] response, bool thenClose)
    {
        await using var backend = RawBackend.Start(async connection =>
        {
            while (await connection.ReadRequestAsync() is not null)
            {
                await connection.SendAsync(response);
                if (thenClose)
                {
                    return;
                }
            }
        });
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address, mode);
        using var client = gateway.CreateClient();

        string description;
        try
        {
            using var received = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/resource"));
            description = await ReceivedResponse.DescribeAsync(received);
        }
        catch (TaskCanceledException)
        {
            // The client's timeout: shown in the comparison rather than thrown, so the other side's response is seen too.
            description = $"(no complete response within {client.Timeout.TotalSeconds} s)";
        }

        if (!thenClose)
        {
            // The connection went back to the Http1 pool: the request really took the Http1 path.
            Assert.Equal(mode == ForwarderMode.Http1 ? 1 : 0, gateway.Http1Connections(backend.Address));
        }

        return description;
    }
}
