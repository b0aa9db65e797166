namespace StickyLb.Proxy.Health;

/// <summary>Whose fault a failed proxied request was, as <see cref="BackendFaults"/> decides it.</summary>
internal enum BackendFault
{
    /// <summary>The request did not fail.</summary>
    None,

    /// <summary>
    /// The client's doing, or not known to be the backend's: a header HttpClient cannot send, a client
    /// that went away or read too slowly, a broken request body. Never counts against a backend.
    /// </summary>
    Client,

    /// <summary>
    /// The backend's process is gone or going: the connection was refused, or reset or closed before a
    /// byte of the response. A healthy HTTP server never does this to a request it has read (HttpClient
    /// itself retries a request that met an idle connection the server was closing), so it is unambiguous.
    /// </summary>
    ConnectionLost,

    /// <summary>
    /// The backend answered badly: a malformed response, headers the gateway cannot pass on, a body cut
    /// short, a timeout. Counts toward a failure rate, since one broken endpoint is not a dead backend.
    /// </summary>
    Response,
}
