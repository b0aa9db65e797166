using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>What went wrong forwarding a request, for passive health and the dashboard (as YARP reports it).</summary>
internal sealed class ForwarderErrorFeature(ForwarderError error, Exception? exception) : IForwarderErrorFeature
{
    public ForwarderError Error { get; } = error;

    public Exception? Exception { get; } = exception;
}
