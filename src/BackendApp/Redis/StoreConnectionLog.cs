using StackExchange.Redis;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// What the backend's store client sees of its connections (event ids 4210-4219), at Information: the moments that
/// tell how long a backend took to follow a Sentinel failover (bench/sentinel-failover.py reads them). Backends log
/// Warning and above by default; <c>--Logging:LogLevel:StickyLb.BackendApp.Redis Information</c> shows these.
/// </summary>
internal static partial class StoreConnectionLog
{
    /// <summary>Logs the multiplexer's connection and configuration events to <paramref name="logger"/>.</summary>
    public static void LogEvents(this IConnectionMultiplexer store, ILogger logger)
    {
        store.ConnectionFailed += (_, e) => ConnectionFailed(logger, e.EndPoint?.ToString(), e.ConnectionType, e.FailureType);
        store.ConnectionRestored += (_, e) => ConnectionRestored(logger, e.EndPoint?.ToString(), e.ConnectionType);
        store.ConfigurationChanged += (_, e) => ConfigurationChanged(logger, e.EndPoint?.ToString(), Primary(store));
    }

    /// <summary>The node the client now sends writes to, or "none".</summary>
    internal static string Primary(IConnectionMultiplexer store) =>
        store.GetServers().FirstOrDefault(server => server.IsConnected && !server.IsReplica && server.ServerType != ServerType.Sentinel)?.EndPoint.ToString() ?? "none";

    [LoggerMessage(4210, LogLevel.Information, "Store connection to {EndPoint} ({ConnectionType}) lost: {FailureType}.")]
    private static partial void ConnectionFailed(ILogger logger, string? endPoint, ConnectionType connectionType, ConnectionFailureType failureType);

    [LoggerMessage(4211, LogLevel.Information, "Store connection to {EndPoint} ({ConnectionType}) restored.")]
    private static partial void ConnectionRestored(ILogger logger, string? endPoint, ConnectionType connectionType);

    [LoggerMessage(4212, LogLevel.Information, "Store configuration changed at {EndPoint}; writes go to {Primary}.")]
    private static partial void ConfigurationChanged(ILogger logger, string? endPoint, string primary);
}
