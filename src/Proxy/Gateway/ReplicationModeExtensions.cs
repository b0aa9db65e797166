using System.Diagnostics;
using StickyLb.Shared;

namespace StickyLb.Proxy.Gateway;

/// <summary>The gateway's <see cref="ReplicationMode"/> as the backends and the ready line name it.</summary>
internal static class ReplicationModeExtensions
{
    /// <summary><paramref name="mode"/>'s name, one of <see cref="ReplicationModeNames"/>: what <c>--replication</c> takes and <c>Replicated:Replication</c> is handed.</summary>
    public static string Name(this ReplicationMode mode) => mode switch
    {
        ReplicationMode.Sync => ReplicationModeNames.Sync,
        ReplicationMode.Async => ReplicationModeNames.Async,
        _ => throw new UnreachableException($"No name for replication mode {mode}."),
    };
}
