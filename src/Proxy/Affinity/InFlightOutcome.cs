using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Affinity;

/// <summary>What the forwarder does with a request whose backend failed before answering it.</summary>
internal enum InFlightOutcome
{
    /// <summary>Answer as YARP does: 502.</summary>
    Fail,

    /// <summary>Answer 503 for the pinned backend (<see cref="BackendUnavailableResponse"/>).</summary>
    Reject,

    /// <summary>Send the request again, to the request's new <see cref="IReverseProxyFeature.ProxiedDestination"/>.</summary>
    Resend,
}
