namespace StickyLb.Proxy.Forwarding;

/// <summary>Log messages of the forwarding feature (event ids 3300-3399).</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(3301, LogLevel.Warning, "Backend {Backend} sent bytes nobody asked for on an idle connection (a late or misframed response); they were dropped with the connection, and from now on its connections are never passed from one client connection to another.")]
    public static partial void UnaskedBytes(this ILogger logger, string backend);
}
