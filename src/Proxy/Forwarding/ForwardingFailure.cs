using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// A forwarding step that failed, with YARP's name for it. <see cref="CanRetry"/> is true when the
/// backend closed a reused keep-alive connection before answering and the request had no body: the
/// request never reached the application, so it is sent again on a new connection.
/// </summary>
internal sealed class ForwardingFailure(ForwarderError error, string message, Exception? inner = null, bool canRetry = false)
    : Exception(message, inner)
{
    public ForwarderError Error { get; } = error;

    public bool CanRetry { get; } = canRetry;
}
