namespace StickyLb.Shared;

/// <summary>
/// The configuration keys of a BackendApp process that the gateway sets when it spawns one: the
/// launcher writes them (<c>--Backend:Id 2</c>, <c>Backend__Redis</c> in the environment) and
/// BackendApp's options bind to them. Shared as source by the gateway and BackendApp.
/// </summary>
internal static class BackendConfigurationKeys
{
    /// <summary>The section a backend's settings live in.</summary>
    public const string Section = "Backend";

    /// <summary>The backend's id, the same as its YARP destination id.</summary>
    public const string Id = "Id";

    /// <summary>Where sessions live: one of <see cref="StoreModeNames"/>.</summary>
    public const string Store = "Store";

    /// <summary>The shared store's configuration string in redis mode.</summary>
    public const string Redis = "Redis";

    /// <summary>How long an idle session lives.</summary>
    public const string IdleTimeout = "IdleTimeout";

    /// <summary>The gateway's process id, which the backend watches.</summary>
    public const string ParentPid = "ParentPid";

    /// <summary><paramref name="key"/>'s full path in the configuration, e.g. <c>Backend:Store</c>.</summary>
    public static string Path(string key) => Section + ":" + key;

    /// <summary><paramref name="key"/> as a command-line option, e.g. <c>--Backend:Store</c>.</summary>
    public static string CommandLineOption(string key) => "--" + Path(key);

    /// <summary><paramref name="key"/> as an environment variable, e.g. <c>Backend__Redis</c>.</summary>
    public static string EnvironmentVariable(string key) => Section + "__" + key;
}
