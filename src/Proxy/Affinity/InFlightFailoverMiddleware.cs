using Microsoft.AspNetCore.Http.Features;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The first step of the proxy pipeline, around all the others: when the backend's connection was lost
/// before any response byte (<see cref="BackendFault.ConnectionLost"/>) and nothing has gone to the client
/// yet, <see cref="InFlightFailover"/> decides, and the request goes through the pipeline again without the
/// backends that failed it, at most <see cref="MaxMoves"/> times: the same affinity, failover policy, drain,
/// load balancing, health and counting as any request, none of it repeated here. YARP's docs suggest
/// exactly this: YARP has no retry of its own, and a middleware may send a request again while its response
/// has not started.
/// </summary>
internal sealed class InFlightFailoverMiddleware(RequestDelegate next, InFlightFailover failover)
{
    /// <summary>How many times a request is sent to another backend after the one it was on died.</summary>
    internal const int MaxMoves = 2;

    public Task InvokeAsync(HttpContext context)
    {
        var forwarding = next(context);
        return forwarding.IsCompletedSuccessfully && context.Features.Get<IForwarderErrorFeature>() is null
            ? Task.CompletedTask
            : AfterFailureAsync(context, forwarding);
    }

    private async Task AfterFailureAsync(HttpContext context, Task forwarding)
    {
        await forwarding;
        var proxy = context.GetReverseProxyFeature();
        List<DestinationState>? failed = null;
        for (var moves = 0; moves < MaxMoves; moves++)
        {
            var error = context.Features.Get<IForwarderErrorFeature>();
            if (BackendFaults.Classify(error) != BackendFault.ConnectionLost || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            // The backend cannot have acted on the request if it never got a connection; else only a request
            // without a body whose method may be repeated (RFC 9110, 9.2.2) is sent again.
            var replayable = BackendFaults.NeverConnected(error) || (!HasBody(context.Request) && InFlightFailover.IsIdempotent(context.Request.Method));
            switch (failover.Decide(context, proxy, replayable))
            {
                case InFlightOutcome.Resend:
                    // YARP answered 502 (and its affinity transform pinned the client to the dead backend): all of
                    // it is undone, and the pipeline starts again from the cluster's destinations, without the
                    // backends that failed this request (passive health has taken them out too, when it is on).
                    (failed ??= []).Add(proxy.ProxiedDestination!);
                    context.Response.Clear();
                    context.Features.Set<IForwarderErrorFeature>(null);
                    proxy.ProxiedDestination = null;
                    proxy.AvailableDestinations = Without(proxy.Route.Cluster!.DestinationsState.AvailableDestinations, failed);
                    await next(context);
                    break;
                case InFlightOutcome.Reject:
                    context.Response.Clear();
                    await BackendUnavailableResponse.WriteAsync(context, proxy.ProxiedDestination!.DestinationId);
                    return;
                case InFlightOutcome.Fail:
                    return;
                default:
                    throw new InvalidOperationException("Unexpected in-flight outcome.");
            }
        }
    }

    private static List<DestinationState> Without(IReadOnlyList<DestinationState> destinations, List<DestinationState> failed)
    {
        var left = new List<DestinationState>(destinations.Count);
        foreach (var destination in destinations)
        {
            if (!failed.Contains(destination))
            {
                left.Add(destination);
            }
        }

        return left;
    }

    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { } detection
            ? detection.CanHaveBody
            : request.ContentLength is not (null or 0) || request.Headers.TransferEncoding.Count != 0;
}
