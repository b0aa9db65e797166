using StickyLb.Proxy.Affinity;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// The proxy pipeline's rebalance step, right after session affinity: a request that affinity sent to its pinned,
/// healthy backend goes to another when <see cref="Rebalancer"/> says its backend is over the bound (earlier for a client
/// starting a new activity, <see cref="ClientActivity"/>); YARP's affinity
/// step then re-pins the user there, and the backend is told <c>moved</c>. Nothing to do while rebalancing is off.
/// </summary>
internal sealed class RebalanceMiddleware(RequestDelegate next, Rebalancer rebalancer, ClientActivity activity, AffinityCounters counters, ILogger<RebalanceMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!rebalancer.IsOn)
        {
            return next(context);
        }

        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations is [var pinned] && proxy.Route.Cluster is { } cluster
            && ServerCookiePolicy.IsPinnedTo(context, cluster, pinned)
            && rebalancer.MoveFrom(cluster, pinned, activity.Touch(context.Request.Headers.Cookie)) is { } target)
        {
            proxy.AvailableDestinations = target;
            RebalancedRequest.Mark(context);
            counters.Rebalanced();
            logger.Rebalanced(pinned.DestinationId, target.DestinationId);
        }

        return next(context);
    }
}
