namespace StickyLb.Proxy.Forwarding;

/// <summary>How the body of a backend's response is delimited.</summary>
internal enum Http1BodyKind
{
    /// <summary>No body: a HEAD request, 204 or 304.</summary>
    None,

    /// <summary>Exactly <c>Content-Length</c> bytes.</summary>
    ContentLength,

    /// <summary><c>Transfer-Encoding: chunked</c>.</summary>
    Chunked,

    /// <summary>Neither: the body ends when the backend closes the connection.</summary>
    UntilClose,
}
