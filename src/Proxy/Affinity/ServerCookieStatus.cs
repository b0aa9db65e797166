namespace StickyLb.Proxy.Affinity;

/// <summary>What a request's <c>server</c> cookie looks like, before it is matched to a destination.</summary>
public enum ServerCookieStatus
{
    /// <summary>No such cookie.</summary>
    None,

    /// <summary>Exactly one cookie whose value has the shape of a destination id.</summary>
    WellFormed,

    /// <summary>An empty value or one with characters no destination id has.</summary>
    Malformed,

    /// <summary>A value longer than <see cref="AffinityDefaults.MaxCookieValueLength"/>.</summary>
    Oversized,

    /// <summary>The cookie appears more than once.</summary>
    Repeated,

    /// <summary>
    /// With pin lifetimes (<see cref="PinLifetime"/>): a value shaped as a pin whose MAC is wrong (its times or id
    /// edited, or signed with another key), or a plain id without times.
    /// </summary>
    Tampered,

    /// <summary>With pin lifetimes: a genuine pin idle longer than <c>--pin-max-idle</c> or older than <c>--pin-max-life</c>.</summary>
    Expired,
}
