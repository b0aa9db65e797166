using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Gateway;

/// <summary>
/// What a backend receives from the gateway, seen by a backend that records request headers. The
/// gateway's per-request path is hot (bench/results.md), so it must not do work nobody asked for.
/// </summary>
public sealed class ForwardedRequestTests
{
    [Fact]
    public async Task TheGatewayStartsNoTracePerRequest()
    {
        // With ASP.NET Core's hosting diagnostics logger enabled at any level, every request starts an
        // Activity and the forwarder adds a traceparent header: measured at 5 µs of CPU per request.
        await using var backend = await HeaderRecorder.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync(backend.AsOnlyDestination());

        using var response = await gateway.Gateway.GetAsync("/whoami");
        var headers = backend.LastRequestHeaders;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("X-Forwarded-For", headers);
        Assert.DoesNotContain("traceparent", headers);
        Assert.DoesNotContain("Request-Id", headers);
    }

    [Fact]
    public async Task TheGatewayRunsNoAuthorizationMiddleware()
    {
        // WebApplication adds the authorization middleware in front of every request whenever an
        // authorization handler provider is registered (YARP registers one): measured at 2 µs per request.
        await using var backend = await HeaderRecorder.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync(backend.AsOnlyDestination());
        var services = (IServiceProviderIsService)gateway.Services.GetService(typeof(IServiceProviderIsService))!;

        using var response = await gateway.Gateway.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(services.IsService(typeof(IAuthorizationHandlerProvider)));
    }

    [Fact]
    public async Task AClientsOwnTraceHeaderIsForwardedAsItCame()
    {
        await using var backend = await HeaderRecorder.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync(backend.AsOnlyDestination());
        const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "traceparent", TraceParent } } };
        using var response = await gateway.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TraceParent, backend.LastRequestHeaders.GetValueOrDefault("traceparent"));
    }

    /// <summary>A one-route Kestrel app on a free loopback port that keeps the last request's headers.</summary>
    private sealed class HeaderRecorder : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile Dictionary<string, string> _last = new(StringComparer.OrdinalIgnoreCase);

        private HeaderRecorder(WebApplication app) => _app = app;

        public Dictionary<string, string> LastRequestHeaders => _last;

        public Uri Address { get; private set; } = null!;

        public static async Task<HeaderRecorder> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            // Port 0: the kernel picks a free port as it binds, so nothing can take it in between.
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var recorder = new HeaderRecorder(app);
            app.Run(context =>
            {
                recorder._last = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                return context.Response.WriteAsync("ok");
            });
            await app.StartAsync();
            recorder.Address = new Uri(app.Urls.Single());
            return recorder;
        }

        public string[] AsOnlyDestination() =>
        [
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", Address.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", Address.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", Address.ToString(),
        ];

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
