using Microsoft.AspNetCore.Http.HttpResults;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Health;

namespace StickyLb.Proxy.Admin;

/// <summary><c>/api/stats</c>: affinity counters, requests per backend and the recent traffic.</summary>
internal static class StatsApi
{
    /// <summary>How many seconds of traffic <c>/api/stats</c> reports.</summary>
    private const int RecentSeconds = 30;

    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/stats", GetStats);
        return api;
    }

    public static Ok<GatewayStats> GetStats(AffinityCounters affinity, BackendRequestCounters requests, RecentTraffic traffic) =>
        TypedResults.Ok(new GatewayStats(affinity.Snapshot(), requests.Snapshot(), traffic.Snapshot(RecentSeconds)));
}
