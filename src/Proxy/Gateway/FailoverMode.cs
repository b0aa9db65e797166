using System.ComponentModel;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// What happens to a request whose <c>server</c> cookie names a backend that is down. The names are
/// YARP's affinity failure policies.
/// </summary>
[TypeConverter(typeof(FailoverModeConverter))]
public enum FailoverMode
{
    /// <summary>Send it to a healthy backend and re-pin the client there.</summary>
    Redistribute,

    /// <summary>Answer 503 until the backend is healthy again.</summary>
    Return503Error,
}
