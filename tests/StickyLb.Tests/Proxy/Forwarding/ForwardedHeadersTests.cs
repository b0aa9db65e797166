using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// What reaches a backend, byte for byte as it arrived there: nothing a client may use to lie about
/// itself or to smuggle a second request, and a request target a strict backend can parse.
/// </summary>
public sealed class ForwardedHeadersTests
{
    [Fact]
    public async Task AClientsForwardedHeaderDoesNotReachTheBackend()
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/")
        {
            Headers =
            {
                { "Forwarded", "for=203.0.113.9;proto=https;host=admin.example" },
                { "X-Forwarded-For", "203.0.113.9" },
                { "X-Forwarded-Proto", "https" },
                { "X-Forwarded-Host", "evil" },
            },
        };
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = Assert.Single(backend.Requests).Headers;
        Assert.DoesNotContain(headers, h => h.Key.Equals("Forwarded", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("127.0.0.1", Single(headers, "X-Forwarded-For"));
        Assert.Equal("http", Single(headers, "X-Forwarded-Proto"));
        Assert.Equal(gateway.Url().Authority, Single(headers, "X-Forwarded-Host"));
    }

    [Fact]
    public async Task ARouteThatSetsForwardedItselfKeepsIt()
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(
            backend.Address,
            "--ReverseProxy:Routes:gateway:Transforms:0:Forwarded", "for,proto",
            "--ReverseProxy:Routes:gateway:Transforms:0:Action", "Set");
        using var client = gateway.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Forwarded", "for=203.0.113.9" } } };
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Single(Assert.Single(backend.Requests).Headers, "Forwarded");
        Assert.DoesNotContain("203.0.113.9", forwarded, StringComparison.Ordinal);
        Assert.Contains("proto=http", forwarded, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Transfer-Encoding\v: chunked")]
    [InlineData("Content-Length\u0001: 5")]
    [InlineData("X Space: 1")]
    public async Task AHeaderWithControlBytesOrSpacesInItsNameNeverReachesTheBackend(string header)
    {
        // Kestrel refuses some such names (400) and lets others in; HttpClient will not write those, so the
        // request goes on without them.
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);

        var status = await RawClient.SendAsync(gateway.Url(), $"GET / HTTP/1.1\r\nHost: shop\r\n{header}\r\nConnection: close\r\n\r\n", []);

        Assert.True(status is 200 or 400, $"Unexpected status {status}.");
        if (status == 400)
        {
            Assert.Empty(backend.Requests);
            return;
        }

        var received = Assert.Single(backend.Requests);
        Assert.All(received.Headers, h => Assert.Matches("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", h.Key));
        Assert.DoesNotContain(received.Headers, h => h.Key is "Transfer-Encoding" or "Content-Length");
        Assert.Empty(received.Body);
    }

    [Fact]
    public async Task TheQueryReachesTheBackendEscaped()
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address);

        var status = await RawClient.SendAsync(gateway.Url(), "GET /search?q=<b>\"x\"{1}|^`&ok=%41 HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n", []);

        Assert.Equal(200, status);
        var target = Assert.Single(backend.Requests).Target;
        // %41 is an unreserved character escaped: equivalent to A (RFC 3986, 6.2.2.2), and so sent.
        Assert.Equal("/search?q=%3Cb%3E%22x%22%7B1%7D%7C%5E%60&ok=A", target);
    }

    private static string Single(IReadOnlyList<KeyValuePair<string, string>> headers, string name) =>
        Assert.Single(headers, h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
