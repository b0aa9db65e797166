namespace StickyLb.Proxy.Live;

/// <summary>What a request may turn into, judged from the request alone, before it is forwarded.</summary>
internal enum LiveConnectionKind
{
    /// <summary>An ordinary request (a long poll included): never a live connection.</summary>
    None,

    /// <summary>An HTTP/1.1 upgrade request (a WebSocket); live once the backend answers 101.</summary>
    Upgrade,

    /// <summary>An HTTP/2 extended CONNECT (RFC 8441 WebSocket); live once the backend accepts it.</summary>
    ExtendedConnect,

    /// <summary>A GET that accepts <c>text/event-stream</c>; live once the answer is an event stream.</summary>
    EventStream,
}
