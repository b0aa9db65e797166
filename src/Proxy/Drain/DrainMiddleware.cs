using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Drain;

/// <summary>The proxy pipeline's drain step, between session affinity and load balancing.</summary>
internal static class DrainMiddleware
{
    public static IReverseProxyApplicationBuilder UseDrain(this IReverseProxyApplicationBuilder proxy)
    {
        var registry = proxy.ApplicationServices.GetRequiredService<DrainRegistry>();
        proxy.Use((context, next) =>
        {
            if (registry.Any)
            {
                var feature = context.GetReverseProxyFeature();
                feature.AvailableDestinations = registry.ForRequest(context, feature.Route.Cluster!, feature.AvailableDestinations);
            }

            return next();
        });
        return proxy;
    }
}
