namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// How the gateway shares backend connections between client connections (<see cref="BackendLanePool"/>), bound
/// from <c>Gateway:BackendConnections</c>. The most connections a backend gets is YARP's own
/// <c>HttpClient:MaxConnectionsPerServer</c> of its cluster.
/// </summary>
internal sealed class BackendConnectionsOptions
{
    public const string Section = "Gateway:BackendConnections";

    /// <summary>The longest <see cref="QuietPeriod"/>.</summary>
    public static readonly TimeSpan MaxQuietPeriod = TimeSpan.FromSeconds(10);

    /// <summary>What a valid <see cref="QuietPeriod"/> is, as an error says it.</summary>
    public const string ExpectedQuietPeriod = "a period from 00:00:00 to 00:00:10, such as 00:00:00.050";

    /// <summary>What a valid <see cref="IdleTimeout"/> is, as an error says it.</summary>
    public const string ExpectedIdleTimeout = "a period from 00:00:01 to 01:00:00, longer than the quiet period";

    /// <summary>What a valid <see cref="Sharing"/> is, as an error says it.</summary>
    public const string ExpectedSharing = "AfterQuietPeriod or Never";

    /// <summary>
    /// How long a backend connection must have been idle, with no byte arriving unasked, before a request of another
    /// client connection goes out on it. Bytes a backend sends after its answer (a misframed or late response) arrive
    /// within it and are found by HttpClient's check before reuse. Default: 50 ms. The cost: a connection per
    /// request in flight plus about the requests of one quiet period from new client connections.
    /// </summary>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long an unused backend connection is kept for reuse before it is closed, so that the connections left by a
    /// burst of clients go once it is over. Default: 5 seconds, as HAProxy's <c>pool-purge-delay</c> (SocketsHttpHandler
    /// keeps an idle connection for a minute).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether backend connections are shared between client connections. Default: after the quiet period.</summary>
    public BackendConnectionSharing Sharing { get; set; } = BackendConnectionSharing.AfterQuietPeriod;

    public static bool IsValidQuietPeriod(TimeSpan period) => period >= TimeSpan.Zero && period <= MaxQuietPeriod;

    public static bool IsValidIdleTimeout(TimeSpan timeout, TimeSpan quietPeriod) =>
        timeout >= TimeSpan.FromSeconds(1) && timeout <= TimeSpan.FromHours(1) && timeout > quietPeriod;
}
