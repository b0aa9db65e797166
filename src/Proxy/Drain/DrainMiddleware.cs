using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Drain;

/// <summary>
/// The proxy pipeline's drain step, between session affinity and load balancing: while a backend drains, a
/// request not pinned to it does not get it among its available destinations. Nothing to do while none drains.
/// </summary>
internal sealed class DrainMiddleware(RequestDelegate next, DrainRegistry registry)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (registry.Any)
        {
            var feature = context.GetReverseProxyFeature();
            feature.AvailableDestinations = registry.ForRequest(context, feature.Route.Cluster!, feature.AvailableDestinations);
        }

        return next(context);
    }
}
