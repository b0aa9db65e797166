namespace StickyLb.Proxy.Admin;

/// <summary>What <c>GET /api/settings</c> answers.</summary>
/// <param name="Store"><c>memory</c>, <c>redis</c> or <c>replicated</c>.</param>
/// <param name="Failover"><c>Redistribute</c> or <c>Return503Error</c>.</param>
public sealed record GatewaySettings(string Store, string Failover);
