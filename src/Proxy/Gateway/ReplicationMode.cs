using System.ComponentModel;

namespace StickyLb.Proxy.Gateway;

/// <summary>How replicated mode spreads a change to the other backends.</summary>
[TypeConverter(typeof(ReplicationModeConverter))]
public enum ReplicationMode
{
    /// <summary>Acknowledged by a majority of the backends before the response; reads ask a majority too.</summary>
    Sync,

    /// <summary>Acknowledged by the backend that made it, spread in the background (Tomcat's default).</summary>
    Async,
}
