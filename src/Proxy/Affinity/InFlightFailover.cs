using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The failover policy for a request that was on its way when its backend died: the connection was
/// refused, or it closed before a byte of the response came back. Such a request is pinned to a dead
/// backend like the ones after it, so it gets what they get (SPEC, Affinity): it goes through the proxy
/// pipeline again without that backend, where session affinity, the failover policy, drain, load balancing,
/// passive health and counting treat it as they treat the next request (<see cref="FailoverMode.Redistribute"/>:
/// another backend, which re-pins the client; <see cref="FailoverMode.Return503Error"/>: a client pinned there
/// gets the 503). A request is only sent twice when the backend cannot have acted on it: it never left the
/// gateway, or it has no body and an idempotent method. Anything else keeps YARP's 502, except the 503 that
/// <see cref="FailoverMode.Return503Error"/> gives a pinned client whatever its request.
/// <see cref="InFlightFailoverMiddleware"/> asks, around the whole proxy pipeline.
/// </summary>
internal sealed class InFlightFailover(FailoverSwitch failover, AffinityCounters counters, ILogger<InFlightFailover> logger)
{
    /// <summary>
    /// Decides for a request whose destination (<see cref="IReverseProxyFeature.ProxiedDestination"/>) failed
    /// before answering; <paramref name="replayable"/> says whether the backend cannot have acted on it.
    /// </summary>
    public InFlightOutcome Decide(HttpContext context, IReverseProxyFeature proxy, bool replayable)
    {
        if (proxy.ProxiedDestination is not { } failed || proxy.Route.Cluster is not { } cluster)
        {
            return InFlightOutcome.Fail;
        }

        if (failover.Current == FailoverMode.Return503Error && ServerCookiePolicy.IsPinnedTo(context, cluster, failed))
        {
            counters.Unavailable();
            logger.PinnedBackendDown(failed.DestinationId);
            return InFlightOutcome.Reject;
        }

        if (!replayable)
        {
            return InFlightOutcome.Fail;
        }

        logger.SentAgain(failed.DestinationId);
        return InFlightOutcome.Resend;
    }

    /// <summary>Whether a method may be sent twice with the same effect as once (RFC 9110, 9.2.2).</summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}
