using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Counts each proxied request for the one destination load balancing chose: one dictionary lookup and one
/// interlocked increment per request.
/// </summary>
internal sealed class BackendRequestCountingMiddleware(RequestDelegate next, BackendRequestCounters counters)
{
    public Task InvokeAsync(HttpContext context)
    {
        var destinations = context.GetReverseProxyFeature().AvailableDestinations;
        if (destinations.Count == 1)
        {
            counters.Increment(destinations[0].DestinationId);
        }

        return next(context);
    }
}
