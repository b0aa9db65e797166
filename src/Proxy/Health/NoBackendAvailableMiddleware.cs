using System.Globalization;
using Microsoft.Net.Http.Headers;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Drain;
using StickyLb.Shared;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// After load balancing: when no backend is left to take the request, answers 503 problem+json that says why,
/// backend by backend (its last probe, or that a request to it just failed, or that it drains), with
/// <c>Retry-After</c>, instead of the empty 503 YARP's forwarder sends. A user whose app never answers the probe
/// path learns it from the first response. The normal path pays one count check.
/// </summary>
internal sealed class NoBackendAvailableMiddleware(RequestDelegate next, ProbeOutcomes probes, DrainRegistry drain)
{
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        return proxy.AvailableDestinations.Count != 0 ? next(context) : WriteAsync(context, proxy.Route.Cluster!);
    }

    private Task WriteAsync(HttpContext context, ClusterState cluster)
    {
        var backends = cluster.Destinations.Values
            .OrderBy(d => d.DestinationId.Length).ThenBy(d => d.DestinationId, StringComparer.Ordinal)
            .Select(Describe)
            .ToList();
        var wrongPath = backends.Any(b => probes.Last(b.Id)?.WrongPath == true && b.Health == HealthStatus.Unhealthy);
        var detail = backends.Count == 0
            ? "The backends cluster has no destinations."
            : "No backend can take this request. " + string.Join(" ", backends.Select(b => $"Backend {b.Id} ({b.Address}): {b.Reason}."))
              + (wrongPath ? " To fix: " + ProbeOutcome.WrongPathHint + "." : "");

        context.Response.Headers[HeaderNames.RetryAfter] = AffinityDefaults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "No backend available",
            detail: detail,
            extensions: new Dictionary<string, object?> { ["backends"] = backends })
            .ExecuteAsync(context);
    }

    private UnavailableBackend Describe(DestinationState destination)
    {
        var id = destination.DestinationId;
        var health = destination.Health;
        var reason = health.Active == DestinationHealth.Unhealthy ? probes.Last(id) is { Up: false } probe ? probe.Text : "down"
            : health.Passive == DestinationHealth.Unhealthy ? "a request to it failed just now (passive health); out of rotation for a moment"
            : drain.IsDraining(id) ? "draining: it takes no new clients"
            : "up";
        return new UnavailableBackend(id, destination.Model.Config.Address.TrimEnd('/'), DestinationHealthSignal.Describe(destination), reason);
    }
}
