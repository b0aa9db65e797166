namespace StickyLb.Shared;

/// <summary>
/// The store modes as users write them (<c>--store</c>) and as the gateway hands them to a backend
/// (<c>Backend:Store</c>), the admin API and <c>/healthz</c> report them. Shared as source by the
/// gateway and BackendApp.
/// </summary>
internal static class StoreModeNames
{
    /// <summary>Each backend keeps its own sessions in memory: they die with it.</summary>
    public const string Memory = "memory";

    /// <summary>All backends share one Redis-protocol store: sessions survive any backend.</summary>
    public const string Redis = "redis";

    /// <summary>Every backend holds every session, replicated among them: sessions survive any backend.</summary>
    public const string Replicated = "replicated";

    /// <summary>A regular expression that matches exactly one of the names, as written (lower case).</summary>
    public const string Pattern = "^(" + Memory + "|" + Redis + "|" + Replicated + ")$";

    /// <summary>Every name, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Memory, Redis, Replicated];
}
