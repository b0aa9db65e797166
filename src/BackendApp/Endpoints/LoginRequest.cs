namespace StickyLb.BackendApp.Endpoints;

/// <summary>The body of <c>POST /login</c>.</summary>
internal sealed record LoginRequest(string? User);
