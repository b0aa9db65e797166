namespace StickyLb.BackendApp.Endpoints;

/// <summary>The body of <c>POST /login</c>.</summary>
public sealed record LoginRequest(string? User);
