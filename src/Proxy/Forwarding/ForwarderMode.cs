namespace StickyLb.Proxy.Forwarding;

/// <summary>Which forwarder carries requests to the backends (<c>Gateway:Forwarder</c>).</summary>
public enum ForwarderMode
{
    /// <summary>
    /// Default. Plain HTTP/1.1 requests on routes without transforms go through StickyLb's own pooled
    /// HTTP/1.1 client, which applies YARP's default transforms; everything else (upgrades, HTTP/2,
    /// chunked request bodies, <c>Expect</c>, https destinations, routes with transforms, clusters with
    /// <c>HttpClient</c> settings) goes through YARP's forwarder.
    /// </summary>
    Http1,

    /// <summary>Every request goes through YARP's forwarder and HttpClient.</summary>
    Yarp,
}
