namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The request's pin as <see cref="PinLifetime"/> read it, kept on the request (as a feature) when pins have
/// lifetimes, so that the MAC is checked once per request, and the affinity header, drain, the failover policies
/// and the response's cookie all see the same answer.
/// </summary>
/// <param name="Status"><see cref="ServerCookieStatus.WellFormed"/> for a genuine pin that has not expired.</param>
/// <param name="Id">The destination id the cookie names, when its MAC is right (expired or not); else empty.</param>
/// <param name="Times">The pin's times, when its MAC is right.</param>
/// <param name="ReadAt">When the request was read (Unix seconds): the "now" of every decision about it.</param>
internal sealed record RequestPin(ServerCookieStatus Status, string Id, PinTimes Times, long ReadAt);
