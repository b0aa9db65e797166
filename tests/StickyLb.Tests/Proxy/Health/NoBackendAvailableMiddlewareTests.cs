using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class NoBackendAvailableMiddlewareTests
{
    private readonly ProbeOutcomes _probes = new(Options.Create(new GatewayOptions { Spawn = false }), NullLogger<ProbeOutcomes>.Instance);
    private readonly DrainRegistry _drain = new(NullLogger<DrainRegistry>.Instance);
    private readonly ClusterState _cluster = Cluster();

    [Fact]
    public async Task ARequestWithABackendLeftGoesOnUntouched()
    {
        var (context, _) = Context(available: [_cluster.Destinations["2"]]);
        var forwarded = false;

        await Middleware(_ => { forwarded = true; return Task.CompletedTask; }).InvokeAsync(context);

        Assert.True(forwarded);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.False(context.Response.Headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public async Task WithNoBackendLeftTheAnswerIsA503ProblemNamingEachBackendAndWhy()
    {
        _cluster.Destinations["1"].Health.Active = DestinationHealth.Unhealthy;
        using var notFound = new HttpResponseMessage(HttpStatusCode.NotFound);
        _probes.Record(_cluster, new DestinationProbingResult(_cluster.Destinations["1"], notFound, null), DestinationHealth.Unhealthy);
        _cluster.Destinations["2"].Health.Passive = DestinationHealth.Unhealthy;
        _drain.Drain("3");
        var (context, body) = Context(available: []);
        var forwarded = false;

        await Middleware(_ => { forwarded = true; return Task.CompletedTask; }).InvokeAsync(context);

        Assert.False(forwarded);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
        using var problem = JsonDocument.Parse(body.ToArray());
        Assert.Equal("No backend available", problem.RootElement.GetProperty("title").GetString());
        Assert.Equal(
            "No backend can take this request. Backend 1 (http://10.0.0.1:8080): GET /nope answered 404. "
            + "Backend 2 (http://10.0.0.2:8080): a request to it failed just now (passive health); out of rotation for a moment. "
            + "Backend 3 (http://10.0.0.3:8080): draining: it takes no new clients. "
            + "To fix: give --health-path a path your app answers with 2xx or 3xx (or none).",
            problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(
            [("1", "unhealthy"), ("2", "unhealthy"), ("3", "unknown")],
            problem.RootElement.GetProperty("backends").EnumerateArray().Select(b => (b.GetProperty("id").GetString(), b.GetProperty("health").GetString())));
    }

    private NoBackendAvailableMiddleware Middleware(RequestDelegate next) => new(next, _probes, _drain);

    private (DefaultHttpContext Context, MemoryStream Body) Context(IReadOnlyList<DestinationState> available)
    {
        var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = body;
        context.Features.Set<IReverseProxyFeature>(new ProxyFeature(new RouteModel(new RouteConfig { RouteId = "gateway" }, _cluster, HttpTransformer.Empty), _cluster) { AvailableDestinations = available });
        return (context, body);
    }

    private static ClusterState Cluster()
    {
        var config = new ClusterConfig
        {
            ClusterId = "backends",
            HealthCheck = new HealthCheckConfig { Active = new ActiveHealthCheckConfig { Enabled = true, Path = "/nope" } },
        };
        var cluster = new ClusterState("backends", new ClusterModel(config, new HttpMessageInvoker(new HttpClientHandler())));
        foreach (var id in new[] { "3", "1", "2" })
        {
            cluster.Destinations[id] = new DestinationState(id, new DestinationModel(new DestinationConfig { Address = $"http://10.0.0.{id}:8080/" }));
        }

        return cluster;
    }

    private sealed class ProxyFeature(RouteModel route, ClusterState cluster) : IReverseProxyFeature
    {
        public RouteModel Route { get; } = route;

        public ClusterModel Cluster { get; } = cluster.Model;

        public IReadOnlyList<DestinationState> AllDestinations { get; } = [.. cluster.Destinations.Values];

        public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } = [];

        public DestinationState? ProxiedDestination { get; set; }
    }
}
