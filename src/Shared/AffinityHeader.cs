namespace StickyLb.Shared;

/// <summary>
/// The <c>StickyLb-Affinity</c> request header the gateway puts on every forwarded request: whether the
/// request went to the backend its pin names (<see cref="Hit"/>), got a first pin (<see cref="New"/>) or was
/// moved (<see cref="Moved"/>). A client's own header of that name never reaches a backend. Shared as source
/// by the gateway (which sets it) and BackendApp (which reads it: a missing or unknown value is
/// <see cref="Moved"/>, the case that assumes nothing).
/// </summary>
internal static class AffinityHeader
{
    /// <summary>The header name.</summary>
    public const string Name = "StickyLb-Affinity";

    /// <summary>The request went to the backend its <c>server</c> cookie names.</summary>
    public const string Hit = "hit";

    /// <summary>The request had no valid pin and was given its first one.</summary>
    public const string New = "new";

    /// <summary>The request was pinned elsewhere (or the gateway pins nobody: <c>--affinity off</c>).</summary>
    public const string Moved = "moved";

    /// <summary>Whether a request's header value says it is a hit on its pin; anything else is treated as moved.</summary>
    public static bool IsHit(string? value) => string.Equals(value, Hit, StringComparison.Ordinal);
}
