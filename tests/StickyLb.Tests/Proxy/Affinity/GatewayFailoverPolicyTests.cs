using Microsoft.Extensions.Time.Testing;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StickyLb.Tests.Infrastructure;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Tests.Proxy.Affinity;

public sealed class GatewayFailoverPolicyTests
{
    private readonly AffinityCounters _counters = new();
    private readonly FailoverSwitch _switch = new(Options.Create(new GatewayOptions()), NullLogger<FailoverSwitch>.Instance);

    [Fact]
    public async Task RedistributeLetsTheRequestContinueUntouched()
    {
        var context = Context("server=2");

        var keepGoing = await Policy().Handle(context, AffinityTestCluster.Create(3, down: "2"), AffinityStatus.DestinationNotFound);

        Assert.True(keepGoing);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    [Fact]
    public async Task RedistributeLeavesABackendJustMarkedDownOutOfTheLoadBalancersChoice()
    {
        var cluster = AffinityTestCluster.Create(3);
        cluster.Destinations["1"].Health.Passive = Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy;
        var context = Context("server=1");
        var proxy = new ProxyFeature(cluster.DestinationsState.AvailableDestinations);
        context.Features.Set<Yarp.ReverseProxy.Model.IReverseProxyFeature>(proxy);

        await Policy().Handle(context, cluster, AffinityStatus.DestinationNotFound);

        Assert.Equal(["2", "3"], proxy.AvailableDestinations.Select(d => d.DestinationId));
    }

    [Fact]
    public async Task Return503ErrorAnswersAProblemNamingTheDeadBackendWithRetryAfter()
    {
        _switch.Set(FailoverMode.Return503Error);
        var context = Context("server=2");

        var keepGoing = await Policy().Handle(context, AffinityTestCluster.Create(3, down: "2"), AffinityStatus.DestinationNotFound);

        Assert.False(keepGoing);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("2", problem.RootElement.GetProperty("backend").GetString());
        Assert.Contains("Backend 2", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(1, _counters.Snapshot().Unavailable);
        Assert.Equal(1, _traffic.Snapshot(1)[0].Backends["2"].Rejected);
    }

    [Fact]
    public async Task FlippingTheSwitchTakesEffectOnTheNextRequest()
    {
        var policy = Policy();
        var cluster = AffinityTestCluster.Create(3, down: "2");

        var before = await policy.Handle(Context("server=2"), cluster, AffinityStatus.DestinationNotFound);
        _switch.Set(FailoverMode.Return503Error);
        var after = await policy.Handle(Context("server=2"), cluster, AffinityStatus.DestinationNotFound);

        Assert.Equal((true, false), (before, after));
    }

    private readonly RecentTraffic _traffic = new(new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_000_000)));

    private GatewayFailoverPolicy Policy() => new(_switch, _counters, _traffic, NullLogger<GatewayFailoverPolicy>.Instance);

    private sealed class ProxyFeature(IReadOnlyList<Yarp.ReverseProxy.Model.DestinationState> available) : Yarp.ReverseProxy.Model.IReverseProxyFeature
    {
        public Yarp.ReverseProxy.Model.RouteModel Route => throw new NotSupportedException();

        public Yarp.ReverseProxy.Model.ClusterModel Cluster { get; set; } = null!;

        public IReadOnlyList<Yarp.ReverseProxy.Model.DestinationState> AllDestinations { get; } = available;

        public IReadOnlyList<Yarp.ReverseProxy.Model.DestinationState> AvailableDestinations { get; set; } = available;

        public Yarp.ReverseProxy.Model.DestinationState? ProxiedDestination { get; set; }
    }

    private static DefaultHttpContext Context(string cookie)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        };
        context.Request.Headers.Cookie = cookie;
        context.Response.Body = new MemoryStream();
        // YARP's pipeline always carries this feature.
        context.Features.Set<Yarp.ReverseProxy.Model.IReverseProxyFeature>(new ProxyFeature([]));
        return context;
    }
}
