using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Live;

/// <summary>
/// A proxy pipeline step that counts live connections per backend (<see cref="LiveConnectionCounters"/>):
/// a WebSocket (an HTTP/1.1 upgrade answered 101, or an HTTP/2 extended CONNECT accepted) or a
/// server-sent-event stream (a response of type <c>text/event-stream</c>), from the moment the backend's
/// answer starts to go to the client until the proxied request ends. A long poll is an ordinary request.
/// Ordinary requests pay two feature lookups and one header lookup, and go on synchronously: only a
/// request that may turn live gets a callback and an async frame. An event stream is recognised only for a
/// GET that accepts <c>text/event-stream</c>, which browsers' <c>EventSource</c> and every SignalR client send.
/// The backend counted is the one YARP's forwarder last proxied to (<see cref="IReverseProxyFeature.ProxiedDestination"/>),
/// so a request moved by the in-flight failover counts on the backend that answered it.
/// </summary>
internal sealed class LiveConnectionMiddleware(RequestDelegate next, LiveConnectionCounters counters, ILogger<LiveConnectionMiddleware> logger)
{
    private const string EventStream = "text/event-stream";

    public Task InvokeAsync(HttpContext context)
    {
        var kind = Judge(context);
        return kind == LiveConnectionKind.None ? next(context) : TrackAsync(context, kind);
    }

    internal static LiveConnectionKind Judge(HttpContext context)
    {
        if (context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true)
        {
            return LiveConnectionKind.Upgrade;
        }

        if (context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true)
        {
            return LiveConnectionKind.ExtendedConnect;
        }

        var request = context.Request;
        if (HttpMethods.IsGet(request.Method))
        {
            foreach (var accept in request.Headers.Accept)
            {
                if (accept?.Contains(EventStream, StringComparison.OrdinalIgnoreCase) == true)
                {
                    return LiveConnectionKind.EventStream;
                }
            }
        }

        return LiveConnectionKind.None;
    }

    private async Task TrackAsync(HttpContext context, LiveConnectionKind kind)
    {
        var connection = new Tracked(context, kind, counters, logger);
        context.Response.OnStarting(static state => ((Tracked)state).Start(), connection);
        try
        {
            await next(context);
        }
        finally
        {
            connection.End();
        }
    }

    /// <summary>
    /// One pass of a request that may turn live: counted when its answer starts, uncounted when the pass ends. A
    /// pass that ended before any answer (its backend died; the in-flight failover sends the request through the
    /// pipeline again, with a pass of its own) is never counted, though its start callback still fires with the
    /// next pass's answer.
    /// </summary>
    private sealed class Tracked(HttpContext context, LiveConnectionKind kind, LiveConnectionCounters counters, ILogger logger)
    {
        private string? _destinationId;
        private long _started;
        private bool _ended;

        public Task Start()
        {
            if (!_ended && IsLive(context.Response) && context.GetReverseProxyFeature().ProxiedDestination?.DestinationId is { } id)
            {
                (_destinationId, _started) = (id, Stopwatch.GetTimestamp());
                counters.Opened(id);
                logger.LiveConnectionOpened(kind, id);
            }

            return Task.CompletedTask;
        }

        public void End()
        {
            _ended = true;
            if (_destinationId is { } id)
            {
                _destinationId = null;
                counters.Closed(id);
                logger.LiveConnectionClosed(kind, id, Stopwatch.GetElapsedTime(_started).TotalSeconds);
            }
        }

        private bool IsLive(HttpResponse response) => kind switch
        {
            LiveConnectionKind.Upgrade => response.StatusCode == StatusCodes.Status101SwitchingProtocols,
            LiveConnectionKind.ExtendedConnect => response.StatusCode is >= 200 and < 300,
            LiveConnectionKind.EventStream => response.StatusCode is >= 200 and < 300
                && response.ContentType?.StartsWith(EventStream, StringComparison.OrdinalIgnoreCase) == true,
            _ => throw new UnreachableException($"A request judged {kind} is never tracked."),
        };
    }
}
