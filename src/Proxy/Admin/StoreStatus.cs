namespace StickyLb.Proxy.Admin;

/// <summary>
/// What <c>GET /api/store</c> answers: where the session store is and whether it answers now. Never a
/// password: endpoints only.
/// </summary>
/// <param name="Store"><c>memory</c> or <c>redis</c>.</param>
/// <param name="Kind">What runs the store: <c>redis-server</c> or <c>garnet</c> (embedded), <c>external</c> (<c>--redis</c>); null in memory mode.</param>
/// <param name="Endpoints">The endpoints the backends connect to (behind Redis Sentinel, the sentinels); empty in memory mode.</param>
/// <param name="ServiceName">The Sentinel service name (<c>serviceName=</c> in <c>--redis</c>), or null.</param>
/// <param name="Answers">Whether the store answered <c>PING</c> just now; null in memory mode.</param>
/// <param name="Primary">The node that answered as primary (behind Sentinel, the one the sentinels name now), or null.</param>
internal sealed record StoreStatus(string Store, string? Kind, string[] Endpoints, string? ServiceName, bool? Answers, string? Primary);
