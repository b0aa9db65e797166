using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using StickyLb.Proxy.Live;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Live;

public sealed class LiveConnectionMiddlewareTests
{
    private readonly LiveConnectionCounters _counters = new();

    [Fact]
    public void AnOrdinaryRequestGoesOnSynchronouslyWithNoCallback()
    {
        var (context, response) = Request("GET", accept: "application/json");
        var forwarded = new TaskCompletionSource();

        var result = Middleware(_ => forwarded.Task).InvokeAsync(context);

        Assert.Same(forwarded.Task, result);
        Assert.Empty(response.Callbacks);
    }

    [Fact]
    public async Task AWebSocketCountsOnItsBackendFromThe101UntilTheRequestEnds()
    {
        var (context, response) = Request("GET", upgrade: true);
        var duringConnection = -1;

        await Middleware(async c =>
        {
            Proxied(c, "2");
            c.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
            await response.StartAsync();
            duringConnection = _counters.Get("2");
        }).InvokeAsync(context);

        Assert.Equal((1, 0), (duringConnection, _counters.Get("2")));
    }

    [Fact]
    public async Task AWebSocketSentAgainAfterItsBackendDiedCountsOnceAndIsUncountedWhenItEnds()
    {
        var (context, response) = Request("GET", upgrade: true);
        var middleware = Middleware(c =>
        {
            // The first pass: the backend died before answering; nothing went to the client.
            Proxied(c, "1");
            return Task.CompletedTask;
        });
        var duringConnection = -1;

        await middleware.InvokeAsync(context);
        // The in-flight failover sends the request through the pipeline again, where it meets this step again.
        await Middleware(async c =>
        {
            Proxied(c, "2");
            c.Response.StatusCode = StatusCodes.Status101SwitchingProtocols;
            await response.StartAsync();
            duringConnection = _counters.Get("2");
        }).InvokeAsync(context);

        Assert.Equal((1, 0, 0), (duringConnection, _counters.Get("2"), _counters.Get("1")));
    }

    [Fact]
    public async Task AnEventStreamCountsAndAnOtherAnswerToTheSameRequestDoesNot()
    {
        var (stream, streamResponse) = Request("GET", accept: "text/event-stream");
        var (refused, refusedResponse) = Request("GET", accept: "text/event-stream");
        var (during, duringRefused) = (-1, -1);

        await Middleware(async c =>
        {
            Proxied(c, "1");
            c.Response.ContentType = "text/event-stream";
            await streamResponse.StartAsync();
            during = _counters.Get("1");
        }).InvokeAsync(stream);
        await Middleware(async c =>
        {
            Proxied(c, "1");
            c.Response.StatusCode = StatusCodes.Status404NotFound;
            c.Response.ContentType = "application/problem+json";
            await refusedResponse.StartAsync();
            duringRefused = _counters.Get("1");
        }).InvokeAsync(refused);

        Assert.Equal((1, 0, 0), (during, duringRefused, _counters.Get("1")));
    }

    [Fact]
    public async Task AnUpgradeRefusedByTheBackendIsNotCounted()
    {
        var (context, response) = Request("GET", upgrade: true);
        var during = -1;

        await Middleware(async c =>
        {
            Proxied(c, "3");
            c.Response.StatusCode = StatusCodes.Status404NotFound;
            await response.StartAsync();
            during = _counters.Get("3");
        }).InvokeAsync(context);

        Assert.Equal(0, during);
    }

    [Theory]
    [InlineData("GET", "*/*", false, "None")]
    [InlineData("POST", "text/event-stream", false, "None")]
    [InlineData("GET", "text/event-stream", false, "EventStream")]
    [InlineData("GET", "text/html, Text/Event-Stream;q=0.9", false, "EventStream")]
    [InlineData("GET", null, true, "Upgrade")]
    public void ARequestIsJudgedFromItsMethodAcceptAndUpgrade(string method, string? accept, bool upgrade, string expected)
    {
        var (context, _) = Request(method, accept, upgrade);

        Assert.Equal(Enum.Parse<LiveConnectionKind>(expected), LiveConnectionMiddleware.Judge(context));
    }

    private LiveConnectionMiddleware Middleware(RequestDelegate next) => new(next, _counters, NullLogger<LiveConnectionMiddleware>.Instance);

    private static void Proxied(HttpContext context, string destinationId) =>
        context.Features.Set<IReverseProxyFeature>(new ReverseProxyFeature
        {
            Route = null!,
            Cluster = null!,
            AvailableDestinations = [],
            AllDestinations = [],
            ProxiedDestination = new DestinationState(destinationId),
        });

    private static (HttpContext Context, RecordingResponse Response) Request(string method, string? accept = null, bool upgrade = false)
    {
        var context = new DefaultHttpContext();
        var response = new RecordingResponse();
        context.Features.Set<IHttpResponseFeature>(response);
        context.Request.Method = method;
        if (accept is not null)
        {
            context.Request.Headers.Accept = accept;
        }

        if (upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new Upgradable());
        }

        return (context, response);
    }

    /// <summary>A response whose OnStarting callbacks run when the test starts it, as Kestrel runs them.</summary>
    private sealed class RecordingResponse : HttpResponseFeature
    {
        public List<(Func<object, Task> Callback, object State)> Callbacks { get; } = [];

        public override void OnStarting(Func<object, Task> callback, object state) => Callbacks.Add((callback, state));

        public async Task StartAsync()
        {
            foreach (var (callback, state) in Callbacks)
            {
                await callback(state);
            }
        }
    }

    private sealed class Upgradable : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => true;

        public Task<Stream> UpgradeAsync() => throw new NotSupportedException();
    }
}
