using Microsoft.AspNetCore.Routing.Matching;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// Routing rule: an endpoint with <see cref="ListenerMetadata"/> matches only on its own listener.
/// The admin API does not exist on the gateway port (a proxied path of the same name goes to the
/// backends), and the gateway's catch-all route does not exist on the admin port (404).
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(endpoint => endpoint.Metadata.GetMetadata<ListenerMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var isAdmin = AdminConnection.IsAdmin(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>() is { } listener && listener.IsAdmin != isAdmin)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
