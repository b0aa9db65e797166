namespace StickyLb.BackendApp.Endpoints;

/// <summary>What <c>GET /cart</c> and <c>POST /cart/items</c> answer.</summary>
internal sealed record CartResponse(string Backend, IReadOnlyList<string> Items);
