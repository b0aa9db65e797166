namespace StickyLb.Proxy.Drain;

/// <summary>Log messages of the drain feature (event ids 3100-3199).</summary>
internal static partial class DrainLog
{
    [LoggerMessage(3101, LogLevel.Information, "Backend {Id} is draining: the clients pinned to it stay, no new client is pinned to it.")]
    public static partial void Draining(this ILogger logger, string id);

    [LoggerMessage(3102, LogLevel.Information, "Backend {Id} is ready: it takes new clients again.")]
    public static partial void Ready(this ILogger logger, string id);

    [LoggerMessage(3103, LogLevel.Information, "Backend {Id} is draining, as the configuration says (\"Drain\": \"true\" in its metadata).")]
    public static partial void DrainingByConfiguration(this ILogger logger, string id);
}
