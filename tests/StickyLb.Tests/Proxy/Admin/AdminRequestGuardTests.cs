using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Admin;

public sealed class AdminRequestGuardTests
{
    private const string Token = "s3cret-admin-token";
    private const int Port = 5001;

    [Theory]
    [InlineData("127.0.0.1:5001")]
    [InlineData("localhost:5001")]
    [InlineData("LOCALHOST:5001")]
    public async Task OnLoopbackARequestAddressedToTheListenerPasses(string host)
    {
        var context = AdminRequest("GET", "/api/backends", host);

        var reached = await RunAsync(Loopback(), context);

        Assert.True(reached);
    }

    [Fact]
    public async Task OnAnIpv6LoopbackListenerItsBracketedAddressPasses()
    {
        var context = AdminRequest("GET", "/api/backends", "[::1]:5001", local: IPAddress.IPv6Loopback);

        var reached = await RunAsync(Guard("http://[::1]:5001"), context);

        Assert.True(reached);
    }

    [Theory]
    [InlineData("evil.example:5001")]
    [InlineData("127.0.0.1:5002")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost.evil.example:5001")]
    [InlineData("[::1]:5001")]
    public async Task OnLoopbackAHostNamingAnythingElseIsRefusedAsDnsRebinding(string host)
    {
        var context = AdminRequest("POST", "/api/backends/2/kill", host);

        var reached = await RunAsync(Loopback(), context);

        Assert.False(reached);
        await AssertProblemAsync(context, StatusCodes.Status403Forbidden, "Host not allowed");
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task AStateChangingRequestFromAnotherOriginIsRefusedAsCrossSite(string method)
    {
        var context = AdminRequest(method, "/api/backends/1/kill", "127.0.0.1:5001");
        context.Request.Headers.Origin = "http://evil.example";
        context.Request.ContentType = "application/x-www-form-urlencoded";

        var reached = await RunAsync(Loopback(), context);

        Assert.False(reached);
        await AssertProblemAsync(context, StatusCodes.Status403Forbidden, "Cross-site request refused");
    }

    [Theory]
    [InlineData("http://127.0.0.1:5002")]
    [InlineData("https://127.0.0.1:5001")]
    [InlineData("http://localhost:5001")]
    [InlineData("null")]
    public async Task AnOriginThatIsNotTheOneTheRequestWasSentToIsRefused(string origin)
    {
        var context = AdminRequest("POST", "/api/backends/1/kill", "127.0.0.1:5001");
        context.Request.Headers.Origin = origin;

        var reached = await RunAsync(Loopback(), context);

        Assert.False(reached);
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1:5001", "http://127.0.0.1:5001")]
    [InlineData("localhost:5001", "http://localhost:5001")]
    [InlineData("localhost:5001", "http://LocalHost:5001")]
    public async Task ASameOriginChangePasses(string host, string origin)
    {
        var context = AdminRequest("PUT", "/api/settings", host);
        context.Request.Headers.Origin = origin;

        var reached = await RunAsync(Loopback(), context);

        Assert.True(reached);
    }

    [Fact]
    public async Task AChangeWithoutOriginPassesAsCurlAndScriptsSendNone()
    {
        var context = AdminRequest("POST", "/api/backends/1/kill", "127.0.0.1:5001");

        var reached = await RunAsync(Loopback(), context);

        Assert.True(reached);
    }

    [Fact]
    public async Task AReadFromAnotherOriginIsNotACrossSiteChange()
    {
        var context = AdminRequest("GET", "/api/backends", "127.0.0.1:5001");
        context.Request.Headers.Origin = "http://evil.example";

        var reached = await RunAsync(Loopback(), context);

        Assert.True(reached);
    }

    [Theory]
    [InlineData(null, "Bearer")]
    [InlineData("Bearer wrong-token", "Bearer error=\"invalid_token\"")]
    [InlineData("Bearer " + Token + "x", "Bearer error=\"invalid_token\"")]
    [InlineData("Basic " + Token, "Bearer error=\"invalid_token\"")]
    [InlineData(Token, "Bearer error=\"invalid_token\"")]
    [InlineData("Bearer", "Bearer error=\"invalid_token\"")]
    public async Task OffLoopbackARequestWithoutTheTokenGets401(string? authorization, string challenge)
    {
        var context = AdminRequest("GET", "/api/backends", "10.1.2.3:5001", local: IPAddress.Parse("10.1.2.3"));
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        var reached = await RunAsync(OffLoopback(), context);

        Assert.False(reached);
        Assert.Equal(challenge, context.Response.Headers.WWWAuthenticate.ToString());
        var body = await AssertProblemAsync(context, StatusCodes.Status401Unauthorized, "Admin token required");
        Assert.DoesNotContain(Token, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bearer " + Token)]
    [InlineData("bearer " + Token)]
    public async Task OffLoopbackTheTokenLetsARequestThroughWhateverItsHost(string authorization)
    {
        var context = AdminRequest("GET", "/metrics", "admin.example.com:5001", local: IPAddress.Parse("10.1.2.3"));
        context.Request.Headers.Authorization = authorization;

        var reached = await RunAsync(OffLoopback(), context);

        Assert.True(reached);
    }

    [Fact]
    public async Task OffLoopbackTheTokenDoesNotExcuseACrossSiteChange()
    {
        var context = AdminRequest("POST", "/api/backends/1/kill", "admin.example.com:5001", local: IPAddress.Parse("10.1.2.3"));
        context.Request.Headers.Authorization = "Bearer " + Token;
        context.Request.Headers.Origin = "http://evil.example";

        var reached = await RunAsync(OffLoopback(), context);

        Assert.False(reached);
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    [Fact]
    public async Task OffLoopbackTheDashboardsOwnFilesNeedNoTokenButTheApiDoes()
    {
        var page = AdminRequest("GET", "/", "admin.example.com:5001", local: IPAddress.Parse("10.1.2.3"));
        page.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(new AllowAnonymousAttribute()), "dashboard"));
        var api = AdminRequest("GET", "/api/backends", "admin.example.com:5001", local: IPAddress.Parse("10.1.2.3"));

        var pageReached = await RunAsync(OffLoopback(), page);
        var apiReached = await RunAsync(OffLoopback(), api);

        Assert.True(pageReached);
        Assert.False(apiReached);
    }

    [Fact]
    public async Task AGatewayConnectionIsNeverChecked()
    {
        var context = AdminRequest("POST", "/api/backends/1/kill", "evil.example:5000", markAdmin: false);
        context.Request.Headers.Origin = "http://evil.example";

        var reached = await RunAsync(OffLoopback(), context);

        Assert.True(reached);
    }

    private static (AdminRequestGuard Guard, Func<bool> Reached) Loopback() => Guard("http://127.0.0.1:5001");

    private static (AdminRequestGuard Guard, Func<bool> Reached) OffLoopback() => Guard("http://0.0.0.0:5001", Token);

    private static (AdminRequestGuard Guard, Func<bool> Reached) Guard(string listen, string? token = null)
    {
        var reached = false;
        var options = Options.Create(new GatewayOptions { AdminListen = listen, AdminToken = token });
        var guard = new AdminRequestGuard(_ => { reached = true; return Task.CompletedTask; }, options, NullLogger<AdminRequestGuard>.Instance);
        return (guard, () => reached);
    }

    private static async Task<bool> RunAsync((AdminRequestGuard Guard, Func<bool> Reached) guard, HttpContext context)
    {
        await guard.Guard.InvokeAsync(context);
        return guard.Reached();
    }

    private static DefaultHttpContext AdminRequest(string method, string path, string host, IPAddress? local = null, bool markAdmin = true)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        };
        var items = new ConnectionItems();
        if (markAdmin)
        {
            AdminConnection.Mark(items.Items);
        }

        context.Features.Set<IConnectionItemsFeature>(items);
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Path = path;
        context.Request.Host = new HostString(host);
        context.Connection.LocalIpAddress = local ?? IPAddress.Loopback;
        context.Connection.LocalPort = Port;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<string> AssertProblemAsync(HttpContext context, int status, string title)
    {
        Assert.Equal(status, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        return body;
    }

    private sealed class ConnectionItems : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }
}
