using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using StickyLb.BackendApp;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Endpoints;

/// <summary>
/// <c>GET /client</c>: the client as the backend sees it after <c>UseForwardedHeaders</c>, which believes
/// <c>X-Forwarded-*</c> only from loopback and <c>Backend:TrustedProxies</c>. TestServer lets each request
/// come from any address, as a gateway on another machine or a client reaching the backend directly would.
/// </summary>
public sealed class ClientEndpointsTests
{
    private static readonly Dictionary<string, string> Forged = new()
    {
        ["X-Forwarded-For"] = "203.0.113.7",
        ["X-Forwarded-Proto"] = "https",
        ["X-Forwarded-Host"] = "shop.example",
    };

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("::1")]
    public async Task ForwardedHeadersFromLoopbackAreBelieved(string gateway)
    {
        await using var app = new BackendAppFactory("2");

        var client = await GetClientAsync(app, gateway, Forged);

        Assert.Equal(new ClientResponse("2", "203.0.113.7", "https", "shop.example"), client);
    }

    [Theory]
    [InlineData(null, "192.0.2.50")]
    [InlineData("192.0.2.51", "192.0.2.50")]
    [InlineData("192.0.2.0/28", "192.0.2.50")]
    [InlineData("2001:db8::/32", "192.0.2.50")]
    [InlineData("192.0.2.50", "10.9.8.7")]
    public async Task ForwardedHeadersFromAnyoneElseAreIgnored(string? trustedProxies, string remote)
    {
        await using var app = WithTrustedProxies(new BackendAppFactory("2"), trustedProxies);

        var client = await GetClientAsync(app, remote, Forged);

        Assert.Equal(new ClientResponse("2", remote, "http", "backend.internal"), client);
    }

    [Theory]
    [InlineData("192.0.2.50", "192.0.2.50")]
    [InlineData("192.0.2.0/24", "192.0.2.50")]
    [InlineData(" 10.0.0.1 , 192.0.2.48/28 ", "192.0.2.50")]
    [InlineData("192.0.2.50", "::ffff:192.0.2.50")]
    [InlineData("2001:db8::/32", "2001:db8::5")]
    public async Task ForwardedHeadersFromATrustedProxyAreBelieved(string trustedProxies, string remote)
    {
        await using var app = WithTrustedProxies(new BackendAppFactory("2"), trustedProxies);

        var client = await GetClientAsync(app, remote, Forged);

        Assert.Equal(new ClientResponse("2", "203.0.113.7", "https", "shop.example"), client);
    }

    [Fact]
    public async Task OnlyTheLastAddressAppendedByTheGatewayIsBelieved()
    {
        await using var app = new BackendAppFactory("2");

        var client = await GetClientAsync(app, "127.0.0.1", new Dictionary<string, string> { ["X-Forwarded-For"] = "6.6.6.6, 203.0.113.7" });

        Assert.Equal("203.0.113.7", client.RemoteIp);
    }

    [Fact]
    public async Task WithoutForwardedHeadersTheConnectionIsTheClient()
    {
        await using var app = new BackendAppFactory("3");

        var client = await GetClientAsync(app, "::ffff:192.0.2.9", new Dictionary<string, string>());

        Assert.Equal(new ClientResponse("3", "192.0.2.9", "http", "backend.internal"), client);
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.1, gateway.example")]
    public async Task ATrustedProxyThatIsNotAnAddressOrNetworkStopsStartUp(string trustedProxies)
    {
        await using var app = WithTrustedProxies(new BackendAppFactory(), trustedProxies);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("Backend:TrustedProxies", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAnswersWithoutTouchingTheSessionStore()
    {
        // A store nobody listens on: every session request is a 503, /client (like /healthz) needs none.
        await using var app = new BackendAppFactory("1", redis: "127.0.0.1:1,connectTimeout=200");
        using var http = app.CreateClient();

        using var whoami = await http.GetAsync("/whoami");
        using var client = await http.GetAsync("/client");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, whoami.StatusCode);
        Assert.Equal(HttpStatusCode.OK, client.StatusCode);
        Assert.False(client.Headers.Contains("Set-Cookie"));
        Assert.Equal("1", (await client.Content.ReadFromJsonAsync<ClientResponse>())!.Backend);
    }

    private static WebApplicationFactory<BackendAssemblyMarker> WithTrustedProxies(BackendAppFactory app, string? trustedProxies) =>
        trustedProxies is null ? app : app.WithWebHostBuilder(b => b.UseSetting("Backend:TrustedProxies", trustedProxies));

    /// <summary>Sends <c>GET /client</c> with <c>Host: backend.internal</c> from <paramref name="remote"/>.</summary>
    private static async Task<ClientResponse> GetClientAsync(WebApplicationFactory<BackendAssemblyMarker> app, string remote, IReadOnlyDictionary<string, string> headers)
    {
        var context = await app.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = ClientEndpoints.Path;
            c.Request.Host = new HostString("backend.internal");
            c.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            foreach (var (name, value) in headers)
            {
                c.Request.Headers[name] = value;
            }
        });

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        return (await System.Text.Json.JsonSerializer.DeserializeAsync<ClientResponse>(context.Response.Body, System.Text.Json.JsonSerializerOptions.Web))!;
    }
}
