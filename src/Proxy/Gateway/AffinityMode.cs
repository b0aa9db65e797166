using System.ComponentModel;

namespace StickyLb.Proxy.Gateway;

/// <summary>Whether the <c>server=N</c> cookie pins each client to a backend (<c>--affinity on|off</c>).</summary>
[TypeConverter(typeof(AffinityModeConverter))]
public enum AffinityMode
{
    /// <summary>Each client stays with its backend (sticky sessions).</summary>
    On,

    /// <summary>YARP's session affinity is off for the cluster: every request is balanced on its own.</summary>
    Off,
}
