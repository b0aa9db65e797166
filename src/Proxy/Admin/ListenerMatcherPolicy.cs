using Microsoft.AspNetCore.Routing.Matching;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// Routing rule: an endpoint with <see cref="ListenerMetadata"/> matches only on its own listener.
/// The admin API does not exist on the gateway port (a proxied path of the same name goes to the
/// backends), and the gateway's catch-all route does not exist on the admin port (404).
/// <para>
/// The rule is built into routing's decision tree (as the HTTP method rule is): each path node gets one
/// branch per listener, and a request takes its branch with one check of its connection. Nothing is
/// allocated or filtered per request, which an endpoint selector policy would do (a candidate set per
/// request, measured in bench/results.md).
/// </para>
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, INodeBuilderPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(endpoint => endpoint.Metadata.GetMetadata<ListenerMetadata>() is not null);

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        var edges = new List<PolicyNodeEdge>(2);
        foreach (var isAdmin in (ReadOnlySpan<bool>)[true, false])
        {
            var matching = endpoints.Where(endpoint => endpoint.Metadata.GetMetadata<ListenerMetadata>() is not { } listener || listener.IsAdmin == isAdmin).ToList();
            if (matching.Count > 0)
            {
                edges.Add(new PolicyNodeEdge(isAdmin, matching));
            }
        }

        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        // A listener without an edge has no endpoint at this node: the exit (404).
        int Destination(bool isAdmin) => edges.Where(edge => (bool)edge.State == isAdmin).Select(edge => edge.Destination).DefaultIfEmpty(exitDestination).First();
        return new ListenerJumpTable(admin: Destination(true), gateway: Destination(false));
    }

    private sealed class ListenerJumpTable(int admin, int gateway) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext) => AdminConnection.IsAdmin(httpContext) ? admin : gateway;
    }
}
