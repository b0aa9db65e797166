using StickyLb.Proxy.Affinity;

namespace StickyLb.Proxy.Admin;

/// <summary>What <c>GET /api/stats</c> answers.</summary>
/// <param name="Affinity">What the affinity policy decided.</param>
/// <param name="Requests">Requests proxied to each backend, by id.</param>
public sealed record GatewayStats(AffinitySnapshot Affinity, IReadOnlyDictionary<string, long> Requests);
