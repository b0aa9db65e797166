using System.ComponentModel;

namespace StickyLb.Proxy.Gateway;

/// <summary>Where the backends keep their sessions.</summary>
[TypeConverter(typeof(StoreModeConverter))]
public enum StoreMode
{
    /// <summary>Each backend keeps its own sessions in memory: they die with it.</summary>
    Memory,

    /// <summary>All backends share one Redis-protocol store: sessions survive any backend.</summary>
    Redis,

    /// <summary>Every backend holds every session, replicated among them: sessions survive any backend.</summary>
    Replicated,
}
