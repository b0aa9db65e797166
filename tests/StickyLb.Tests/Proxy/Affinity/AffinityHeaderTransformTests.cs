using System.Net;
using StickyLb.Proxy.Affinity;
using StickyLb.Tests.Infrastructure;
using StickyLb.Tests.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Affinity;

/// <summary>
/// The <c>StickyLb-Affinity</c> header a backend receives: <c>hit</c> on its pin, <c>new</c> for a first pin,
/// <c>moved</c> when pinned elsewhere or when affinity is off; a client's own value never arrives.
/// </summary>
public sealed class AffinityHeaderTransformTests
{
    private const string Header = "StickyLb-Affinity";

    [Theory]
    [InlineData("server=2", "hit")]
    [InlineData(null, "new")]
    [InlineData("server=9", "new")]
    [InlineData("server=%%", "new")]
    public async Task TheBackendIsToldWhetherTheRequestIsAHitOrANewPin(string? cookie, string expected)
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await StartAsync(backend.Address, backend.Address);
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(Get(cookie, forged: null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, ReceivedAffinity(Assert.Single(backend.Requests)));
    }

    [Fact]
    public async Task ARequestPinnedToABackendThatIsDownIsMovedAndSaysSo()
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await StartAsync(RefusedAddress(), backend.Address);
        using var client = gateway.CreateClient();

        // Backend 1 refuses the connection: the in-flight failover sends the request through the pipeline again.
        using var response = await client.SendAsync(Get("server=1", forged: null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^server=[23];", Assert.Single(response.Headers.GetValues("Set-Cookie")));
        Assert.Equal("moved", ReceivedAffinity(Assert.Single(backend.Requests)));
    }

    [Theory]
    [InlineData(null, "hit", "new")]
    [InlineData("server=2", "moved", "hit")]
    [InlineData("server=2", "HIT, new", "hit")]
    public async Task AClientsOwnAffinityHeaderNeverReachesTheBackend(string? cookie, string forged, string expected)
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await StartAsync(backend.Address, backend.Address);
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(Get(cookie, forged));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, ReceivedAffinity(Assert.Single(backend.Requests)));
    }

    [Fact]
    public async Task WithAffinityOffEveryRequestIsMoved()
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await StartAsync(backend.Address, backend.Address, "--affinity", "off");
        using var client = gateway.CreateClient();

        using var first = await client.SendAsync(Get("server=2", forged: "hit"));
        using var second = await client.SendAsync(Get(null, forged: null));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.All(backend.Requests, r => Assert.Equal("moved", ReceivedAffinity(r)));
        Assert.Equal(2, backend.Requests.Count);
    }

    [Theory]
    [InlineData(0, "hit")]
    [InlineData(1000, "moved")]
    [InlineData(-1, "moved")]
    public async Task WithPinLifetimesAnExpiredOrTamperedPinIsMovedForTheBackend(int ageSeconds, string expected)
    {
        await using var backend = await RequestRecorder.StartAsync();
        await using var gateway = await StartAsync(backend.Address, backend.Address, "--pin-max-life", "60", "--Gateway:PinKey", PinCookieCodecTests.Key);
        using var client = gateway.CreateClient();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var pin = new PinCookieCodec(PinCookieCodec.KeyBytes(PinCookieCodecTests.Key)).Encode("2", new PinTimes(now - Math.Max(0, ageSeconds), now));
        // -1: the client moved its pin's birth forward to keep it, which the MAC does not allow.
        var parts = pin.Split('.');
        var cookie = ageSeconds < 0 ? $"server=2.{now + 1}.{parts[2]}.{parts[3]}" : "server=" + pin;

        using var response = await client.SendAsync(Get(cookie, forged: null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, ReceivedAffinity(Assert.Single(backend.Requests)));
    }

    /// <summary>The one value of the header as the backend received it (exactly one, or the test fails).</summary>
    private static string ReceivedAffinity(RecordedRequest request) =>
        Assert.Single(request.Headers, h => h.Key.Equals(Header, StringComparison.OrdinalIgnoreCase)).Value;

    private static HttpRequestMessage Get(string? cookie, string? forged)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (forged is not null)
        {
            request.Headers.TryAddWithoutValidation(Header, forged);
        }

        return request;
    }

    /// <summary>Destination 1 at <paramref name="first"/>, 2 and 3 at <paramref name="others"/>; no active health checks.</summary>
    private static Task<InProcessGateway> StartAsync(Uri first, Uri others, params string[] args) =>
        InProcessGateway.StartAsync(
        [
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:HealthCheck:Active:Enabled", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", first.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", others.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", others.ToString(),
            .. args,
        ]);

    private static Uri RefusedAddress()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop();
        return address;
    }
}
