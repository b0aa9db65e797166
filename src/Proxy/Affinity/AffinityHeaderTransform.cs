using StickyLb.Shared;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// Tells the backend what kind of request it is getting (<see cref="AffinityHeader"/>): a hit on its pin, a
/// first pin, or a move. Backends that share sessions use it: on a hit the backend already holds the user's
/// latest session (replicated mode reads its own replica); on anything else it must ask. A YARP request
/// transform, so it runs for each attempt with the backend that attempt really goes to: a request that
/// <see cref="InFlightFailoverMiddleware"/> sends elsewhere after its pinned backend died is <c>moved</c>.
/// </summary>
internal static class AffinityHeaderTransform
{
    /// <summary>Adds the transform to every route. A client's own header of that name is replaced, never passed on.</summary>
    public static IReverseProxyBuilder AddAffinityHeader(this IReverseProxyBuilder proxy) =>
        proxy.AddTransforms(context => context.AddRequestTransform(Apply));

    private static ValueTask Apply(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        headers.Remove(AffinityHeader.Name);
        headers.TryAddWithoutValidation(AffinityHeader.Name, Classify(context.HttpContext));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// <c>hit</c> when the <c>server</c> cookie names the backend the request is going to; <c>moved</c> when it names
    /// another known backend, when its pin expired or its times fail the MAC (pin lifetimes), and always when affinity
    /// is off (no pin: a backend may assume nothing); <c>new</c> when there is no valid pin (none, malformed, or a
    /// backend the cluster does not have).
    /// </summary>
    internal static string Classify(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var affinity = proxy.Cluster.Config.SessionAffinity;
        if (affinity is not { Enabled: true } || proxy.ProxiedDestination is not { } destination)
        {
            return AffinityHeader.Moved;
        }

        var status = PinLifetime.ReadKnown(context, ServerCookiePolicy.CookieName(affinity), out var id);
        if (status is ServerCookieStatus.Expired or ServerCookieStatus.Tampered)
        {
            // A pin the gateway gave and no longer honours: the session may be anywhere.
            return AffinityHeader.Moved;
        }

        if (status != ServerCookieStatus.WellFormed)
        {
            return AffinityHeader.New;
        }

        if (id.Equals(destination.DestinationId, StringComparison.OrdinalIgnoreCase))
        {
            return AffinityHeader.Hit;
        }

        return ServerCookiePolicy.TryFindDestination(proxy.Route.Cluster!, id, out _) ? AffinityHeader.Moved : AffinityHeader.New;
    }
}
