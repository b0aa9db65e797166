namespace StickyLb.Proxy.Forwarding;

/// <summary>Whether a backend connection may carry the requests of more than one client connection (<see cref="BackendConnectionsOptions.Sharing"/>).</summary>
internal enum BackendConnectionSharing
{
    /// <summary>
    /// A backend connection passes to another client connection once it has been idle for the quiet period with nothing
    /// unasked on it, as long as its backend has never sent unasked bytes; the default.
    /// </summary>
    AfterQuietPeriod,

    /// <summary>Never: each client connection has backend connections of its own (HAProxy's <c>http-reuse never</c>).</summary>
    Never,
}
