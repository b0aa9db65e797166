namespace StickyLb.BackendApp.Endpoints;

/// <summary>What <c>GET /client</c> answers: the client as this backend sees it, after <c>UseForwardedHeaders</c>.</summary>
/// <param name="Backend">The backend that answered.</param>
/// <param name="RemoteIp">The client's address (<c>HttpContext.Connection.RemoteIpAddress</c>), IPv4-mapped addresses as IPv4.</param>
/// <param name="Scheme">The scheme the client used (<c>Request.Scheme</c>): <c>https</c> behind an HTTPS listener.</param>
/// <param name="Host">The host the client asked for (<c>Request.Host</c>).</param>
internal sealed record ClientResponse(string Backend, string? RemoteIp, string Scheme, string Host);
