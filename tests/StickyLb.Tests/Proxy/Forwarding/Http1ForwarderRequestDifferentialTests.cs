using System.Text;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// The same request, sent as exact bytes through a gateway with <c>--forwarder Http1</c> and one with
/// <c>--forwarder Yarp</c>, each in front of its own recording Kestrel backend, must reach the backend
/// identically: method, raw target, headers (as a case-insensitive multiset) and body bytes.
/// </summary>
public sealed class Http1ForwarderRequestDifferentialTests
{
    public static TheoryData<string, string, string> Requests => new()
    {
        {
            "custom headers and a client's own X-Forwarded-*",
            "GET /orders/42 HTTP/1.1\r\nAccept: application/json\r\nX-Request-Id: 7f3c\r\nX-Tenant: acme\r\nX-Tenant: globex\r\n"
                + "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nUser-Agent: raw-client/1.0\r\n",
            ""
        },
        { "two Cookie lines", "GET /cart HTTP/1.1\r\nCookie: theme=dark\r\nCookie: cart=3; lang=en\r\n", "" },
        { "a query string", "GET /search?q=sticky+sessions&tag=a&tag=b&empty=&flag&enc=%2F%3F%26%20 HTTP/1.1\r\n", "" },
        { "an empty query", "GET /search? HTTP/1.1\r\n", "" },
        { "the root path", "GET / HTTP/1.1\r\n", "" },
        { "an empty path (asterisk form)", "OPTIONS * HTTP/1.1\r\n", "" },
        { "the root path with a query", "GET /?x=1 HTTP/1.1\r\n", "" },
        { "an absolute-form target", "GET http://shop.example/abs?x=1 HTTP/1.1\r\n", "" },
        { "a percent-encoded space", "GET /a%20b HTTP/1.1\r\n", "" },
        { "percent-encoded UTF-8", "GET /caf%C3%A9 HTTP/1.1\r\n", "" },
        { "an encoded slash", "GET /a%2Fb HTTP/1.1\r\n", "" },
        { "an encoded percent sign", "GET /100%25/a%2541 HTTP/1.1\r\n", "" },
        { "an encoded dot segment", "GET /files/%252e%252e/admin HTTP/1.1\r\n", "" },
        { "sub-delimiters in the path", "GET /a+b/~c/(d)/e;f=g/h:i@j!$&'*, HTTP/1.1\r\n", "" },
        { "a POST with a JSON body", "POST /api/orders HTTP/1.1\r\nContent-Type: application/json; charset=utf-8\r\n", "{\"id\":42,\"name\":\"Zoë\"}" },
        { "a POST with Content-Length: 0", "POST /api/ping HTTP/1.1\r\nContent-Length: 0\r\n", "" },
        { "HEAD", "HEAD /orders/42 HTTP/1.1\r\n", "" },
        { "DELETE without a body", "DELETE /orders/42 HTTP/1.1\r\n", "" },
        { "an HTTP/1.0 request", "GET /legacy HTTP/1.0\r\nAccept: */*\r\n", "" },
        {
            "a browser's navigation headers",
            "GET /dashboard HTTP/1.1\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Language: en-GB,en;q=0.9\r\n"
                + "Accept-Encoding: gzip, deflate, br\r\nUpgrade-Insecure-Requests: 1\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n",
            ""
        },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task ARequestReachesTheBackendExactlyAsYarpsForwarderSendsIt(string name, string head, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = head + "Host: shop.example\r\n" + (bytes.Length > 0 ? $"Content-Length: {bytes.Length}\r\n" : "") + "Connection: close\r\n\r\n";

        var viaYarp = await ForwardAsync(ForwarderMode.Yarp, request, bytes);
        var viaHttp1 = await ForwardAsync(ForwarderMode.Http1, request, bytes);

        Assert.True(viaYarp == viaHttp1, $"{name}: the backend received\n--- through YARP's forwarder:\n{viaYarp}\n--- through Http1Forwarder:\n{viaHttp1}");
    }

    private static async Task<string> ForwardAsync(ForwarderMode mode, string request, byte[] body)
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address, mode);

        var status = await RawClient.SendAsync(gateway.Url(), request, body);

        Assert.Equal(200, status);
        Assert.Equal(mode == ForwarderMode.Http1 ? 1 : 0, gateway.Http1Connections(backend.Address));
        return Assert.Single(backend.Requests).Describe(backend.Address);
    }
}
