namespace StickyLb.BackendApp.Endpoints;

/// <summary>The body of <c>POST /cart/items</c>.</summary>
internal sealed record CartItemRequest(string? Item);
