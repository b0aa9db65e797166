namespace StickyLb.Proxy.Admin;

/// <summary>The body of <c>PUT /api/settings</c>; a field left out is left as it is.</summary>
/// <param name="Failover"><c>Redistribute</c> or <c>Return503Error</c> (alias <c>503</c>), in any case.</param>
/// <param name="Store">Only the current store is accepted: the store cannot change while the gateway runs.</param>
internal sealed record GatewaySettingsUpdate(string? Failover, string? Store);
