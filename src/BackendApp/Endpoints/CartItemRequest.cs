namespace StickyLb.BackendApp.Endpoints;

/// <summary>The body of <c>POST /cart/items</c>.</summary>
public sealed record CartItemRequest(string? Item);
