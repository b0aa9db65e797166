namespace StickyLb.Proxy.Admin;

/// <summary>What <c>GET /api/settings</c> answers.</summary>
/// <param name="Store"><c>memory</c>, <c>redis</c> or <c>replicated</c>.</param>
/// <param name="Failover"><c>Redistribute</c> or <c>Return503Error</c>.</param>
/// <param name="Affinity"><c>on</c> (the <c>server</c> cookie pins each client) or <c>off</c>; set at start-up (<c>--affinity</c>).</param>
/// <param name="PinMaxIdle">Seconds a pin may go unused (<c>--pin-max-idle</c>); null: no limit. The pin key is never shown.</param>
/// <param name="PinMaxLife">Seconds a pin may live (<c>--pin-max-life</c>); null: no limit.</param>
internal sealed record GatewaySettings(string Store, string Failover, string Affinity = "on", int? PinMaxIdle = null, int? PinMaxLife = null);
