using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// A browser on an HTTPS listener speaks HTTP/2, and so does its WebSocket (RFC 8441: an extended CONNECT on
/// the same connection). Through the gateway it reaches BackendApp's hub (HTTP/1.1 behind the gateway),
/// pinned, counted as a live connection, and closed when its backend dies, as over HTTP/1.1.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class LiveConnectionOverHttp2Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AnHttp2WebSocketOnAnHttpsListenerIsPinnedCountedAndClosedWhenItsBackendDies()
    {
        using var certificate = new TestCertificate(IPAddress.Loopback);
        var port = FreePorts.Next();
        await using var gateway = await GatewayProcess.StartAsync(
            output, "--listen", $"https://127.0.0.1:{port}", "--certificate", certificate.CertificatePem, "--certificate-key", certificate.KeyPem);
        var cookies = new CookieContainer();
        using var http2 = new HttpMessageInvoker(new SocketsHttpHandler
        {
            CookieContainer = cookies,
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, errors) => TrustsTestCertificate(presented, errors, certificate) },
        });
        HttpStatusCode? upgradeStatus = null;

        await using var live = await LiveClient.ConnectAsync(gateway.GatewayUrl, HttpTransportType.WebSockets, cookies, ConnectTimeout, options =>
        {
            // The negotiate over HTTP/2 too, with the same jar, so that the WebSocket carries the pin it got.
            options.HttpMessageHandlerFactory = _ => new SocketsHttpHandler
            {
                CookieContainer = cookies,
                UseProxy = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, errors) => TrustsTestCertificate(presented, errors, certificate) },
            };
            options.WebSocketFactory = async (context, cancellationToken) =>
            {
                var socket = new ClientWebSocket();
                socket.Options.HttpVersion = HttpVersion.Version20;
                socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
                socket.Options.CollectHttpResponseDetails = true;
                await socket.ConnectAsync(context.Uri, http2, cancellationToken);
                // HTTP/2's extended CONNECT is accepted with 200; HTTP/1.1's upgrade would be 101.
                upgradeStatus = socket.HttpStatusCode;
                return socket;
            };
        });
        var backend = await live.WhoAmIAsync();
        int[] counts = [await live.IncrementAsync(), await live.IncrementAsync()];
        var whileOpen = await gateway.GetBackendsAsync();

        Assert.Equal(HttpStatusCode.OK, upgradeStatus);
        Assert.Equal(backend, cookies.GetCookies(gateway.GatewayUrl)["server"]?.Value);
        Assert.Equal([1, 2], counts);
        Assert.All(whileOpen, b => Assert.Equal(b.Id == backend ? 1 : 0, b.Connections));

        var killed = Stopwatch.GetTimestamp();
        using (var kill = await gateway.Admin.PostAsync($"/api/backends/{backend}/kill", null))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        var closedAfter = Stopwatch.GetElapsedTime(killed, await live.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"HTTP/2 WebSocket closed {closedAfter.TotalMilliseconds:0} ms after the kill.");
        Assert.True(closedAfter < TimeSpan.FromSeconds(2), $"The HTTP/2 WebSocket closed {closedAfter.TotalMilliseconds:0} ms after the kill.");
        await gateway.WaitForBackendAsync(backend, b => b.Connections == 0, TimeSpan.FromSeconds(2));
    }

    private static bool TrustsTestCertificate(System.Security.Cryptography.X509Certificates.X509Certificate? presented, SslPolicyErrors errors, TestCertificate certificate) =>
        errors == SslPolicyErrors.None || string.Equals(presented?.GetCertHashString(), certificate.Thumbprint, StringComparison.OrdinalIgnoreCase);
}
