using System.Diagnostics.CodeAnalysis;
using StackExchange.Redis;

namespace StickyLb.Shared;

/// <summary>
/// The shared store's client settings, in one place for the gateway and every backend: a
/// StackExchange.Redis configuration string (<c>--redis</c>) plus the settings that make a store
/// outage fail fast. With the client's defaults a dead store holds a request 11-12 s; with these a
/// dead store fails in milliseconds and a hung one in about 1.5 s (its timeouts are checked about
/// once a second), within the 2 s a user waits for a 503. Timeouts written in the string win.
/// Shared as source by the gateway and BackendApp.
/// </summary>
internal static class StoreConfiguration
{
    /// <summary>How long a synchronous command may take (the key ring's reads and writes), in ms.</summary>
    public const int SyncTimeoutMs = 500;

    /// <summary>How long an asynchronous command may take (session loads and commits), in ms.</summary>
    public const int AsyncTimeoutMs = 500;

    /// <summary>How long connecting may take, in ms.</summary>
    public const int ConnectTimeoutMs = 1000;

    /// <summary>How often a lost connection is tried again, in ms: a store that returns is used within about that.</summary>
    public const int ReconnectIntervalMs = 200;

    /// <summary>
    /// How often the client looks at its connections, in ms: when it notices a timeout and when it tries a lost
    /// connection again (the client's default is 1000). Behind Sentinel every client connection to the promoted
    /// replica is closed by the failover (Sentinel's <c>CLIENT KILL TYPE normal</c>), and with the default the
    /// reconnect waited for the next once-a-second heartbeat: users were served again up to 2.7 s after
    /// <c>+switch-master</c> (bench/sentinel-failover-results.md).
    /// </summary>
    public const int HeartbeatIntervalMs = 200;

    private const string Hidden = "*****";

    /// <summary>Parses <paramref name="configuration"/> and applies StickyLb's fail-fast settings; throws <see cref="ArgumentException"/> for a string that cannot be used.</summary>
    public static ConfigurationOptions Parse(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException("It names no host:port.", nameof(configuration));
        }

        var written = WrittenKeys(configuration);
        if (!written.Contains("syncTimeout"))
        {
            options.SyncTimeout = SyncTimeoutMs;
        }

        if (!written.Contains("asyncTimeout"))
        {
            options.AsyncTimeout = AsyncTimeoutMs;
        }

        if (!written.Contains("connectTimeout"))
        {
            options.ConnectTimeout = ConnectTimeoutMs;
        }

        // A store that is down at start-up must not stop a backend: it answers 503 until the store is back.
        options.AbortOnConnectFail = false;
        // Without a connection a command fails at once instead of queueing for the store's return.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new LinearRetry(ReconnectIntervalMs);
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(HeartbeatIntervalMs);
        // The client's exceptions name the keys they were about, and a key is a session's id: keep them out of logs.
        options.IncludeDetailInExceptions = false;
        return options;
    }

    /// <summary>Parses <paramref name="configuration"/>, or says in one line (without the password) why it cannot be used.</summary>
    public static bool TryParse(string configuration, [NotNullWhen(true)] out ConfigurationOptions? options, out string error)
    {
        try
        {
            options = Parse(configuration);
            error = "";
            return true;
        }
        catch (ArgumentException ex)
        {
            options = null;
            // The parser's messages name keywords and bad values, never the password's value; the
            // parameter name it appends would only repeat the keyword.
            var message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            error = message.ReplaceLineEndings(" ");
            return false;
        }
    }

    /// <summary>The store's endpoints, comma-separated: what may be shown of a configuration string.</summary>
    public static string Endpoints(ConfigurationOptions options) =>
        string.Join(',', options.EndPoints.Select(EndPointCollection.ToString));

    /// <summary><paramref name="configuration"/> with the values of <c>password=</c> and <c>sentinelPassword=</c> hidden.</summary>
    public static string Mask(string configuration) =>
        string.Join(',', configuration.Split(',').Select(option =>
            Key(option) is { } key && (key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("sentinelPassword", StringComparison.OrdinalIgnoreCase))
                ? option[..(option.IndexOf('=', StringComparison.Ordinal) + 1)] + Hidden
                : option));

    private static HashSet<string> WrittenKeys(string configuration) =>
        configuration.Split(',').Select(Key).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static string? Key(string option)
    {
        var equals = option.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 ? option[..equals].Trim() : null;
    }
}
