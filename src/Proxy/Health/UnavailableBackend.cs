namespace StickyLb.Proxy.Health;

/// <summary>One backend in the 503 problem the gateway answers when no backend can take a request.</summary>
/// <param name="Id">The destination id.</param>
/// <param name="Address">Where it listens.</param>
/// <param name="Health"><c>healthy</c>, <c>unhealthy</c> or <c>unknown</c>, as <c>/api/backends</c> says it.</param>
/// <param name="Reason">Why it takes no request, e.g. <c>GET /healthz answered 404</c>.</param>
internal sealed record UnavailableBackend(string Id, string Address, string Health, string Reason);
