namespace StickyLb.Shared;

/// <summary>
/// Replicated mode's replication as users write it (<c>--replication</c>) and as the gateway hands it to a
/// backend (<c>Replicated:Replication</c>). Shared as source by the gateway and BackendApp.
/// </summary>
internal static class ReplicationModeNames
{
    /// <summary>Synchronous replication: majority writes and majority reads.</summary>
    public const string Sync = "sync";

    /// <summary>Asynchronous replication: local writes and reads, spread in the background.</summary>
    public const string Async = "async";

    /// <summary>A regular expression that matches exactly one of the names, as written (lower case).</summary>
    public const string Pattern = "^(" + Sync + "|" + Async + ")$";

    /// <summary>Every name, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Sync, Async];
}
