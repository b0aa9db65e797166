namespace StickyLb.Proxy.Forwarding;

/// <summary>What the response head says about its body and its connection.</summary>
internal readonly record struct Http1ResponseFraming(Http1BodyKind Body, long ContentLength, bool KeepAlive);
