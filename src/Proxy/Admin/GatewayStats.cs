using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Health;

namespace StickyLb.Proxy.Admin;

/// <summary>What <c>GET /api/stats</c> answers.</summary>
/// <param name="Affinity">What the affinity policy decided.</param>
/// <param name="Requests">Requests proxied to each backend, by id.</param>
/// <param name="Recent">The last 30 seconds, oldest first: requests per backend and outcome.</param>
internal sealed record GatewayStats(AffinitySnapshot Affinity, IReadOnlyDictionary<string, long> Requests, IReadOnlyList<TrafficSecond> Recent);
