namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>A request as a <see cref="RawBackend"/> received it: the head's text and the body's bytes.</summary>
internal sealed record RawRequest(string Head, byte[] Body)
{
    /// <summary>The request line, e.g. <c>GET /a HTTP/1.1</c>.</summary>
    public string RequestLine => Head[..Head.IndexOf("\r\n", StringComparison.Ordinal)];
}
