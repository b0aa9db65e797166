namespace StickyLb.BackendApp.Live;

/// <summary>Registers and maps the live-connection hub and the JavaScript client the home page loads.</summary>
internal static class LiveServiceCollectionExtensions
{
    public static WebApplicationBuilder AddLiveHub(this WebApplicationBuilder builder)
    {
        builder.Services.AddSignalR();
        return builder;
    }

    public static IEndpointRouteBuilder MapLiveHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<LiveHub>(LiveHub.Path);
        app.MapGet(LiveAssets.ScriptPath, LiveAssets.Serve);
        return app;
    }

    /// <summary>
    /// Whether <paramref name="path"/> belongs to the live connection: the hub (negotiate, the WebSocket,
    /// the event stream, every long poll) or its script. None of them reads the session: the hub's state
    /// is the connection's own. Through the session middleware every long poll and every negotiate would
    /// refresh the session in the store (a HMGET and an EXPIRE in redis mode), and the key ring gate would
    /// hold a live connection while the store is down, for no benefit: a live connection never moves.
    /// </summary>
    public static bool IsLivePath(PathString path) =>
        path.StartsWithSegments(LiveHub.Path) || path.StartsWithSegments(LiveAssets.ScriptPath);
}
