namespace StickyLb.Shared;

/// <summary>
/// The replicated-mode configuration keys of a BackendApp process that the gateway hands down in the
/// environment (<c>Replicated__Port</c>, ...) and BackendApp's replicated options bind to. Shared as
/// source by the gateway and BackendApp.
/// </summary>
internal static class ReplicatedConfigurationKeys
{
    /// <summary>The section replicated mode's settings live in.</summary>
    public const string Section = "Replicated";

    /// <summary>The backend's cluster transport port.</summary>
    public const string Port = "Port";

    /// <summary>The peers to join, as comma-separated <c>host:port</c> pairs.</summary>
    public const string Seeds = "Seeds";

    /// <summary>How changes spread: one of <see cref="ReplicationModeNames"/>.</summary>
    public const string Replication = "Replication";

    /// <summary><paramref name="key"/> as an environment variable, e.g. <c>Replicated__Seeds</c>.</summary>
    public static string EnvironmentVariable(string key) => Section + "__" + key;
}
