using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace StickyLb.BackendApp.Live;

/// <summary>
/// <c>GET /lib/signalr.min.js</c>: Microsoft's JavaScript SignalR client (npm <c>@microsoft/signalr</c>
/// 10.0.11, vendored in <c>Live/signalr/</c> with its licence), embedded in the assembly and served by
/// the backend itself, so the home page's live button needs no CDN and no internet.
/// </summary>
internal static class LiveAssets
{
    /// <summary>The script's path; requests to it bypass the session middleware.</summary>
    public const string ScriptPath = "/lib/signalr.min.js";

    private static readonly byte[] Script = Load();

    private static readonly EntityTagHeaderValue ETag =
        new($"\"{Convert.ToHexStringLower(SHA256.HashData(Script).AsSpan(0, 8))}\"");

    public static IResult Serve(HttpContext context)
    {
        var headers = context.Response.GetTypedHeaders();
        headers.ETag = ETag;
        // Cached, but revalidated: a new backend build serves a new client at once.
        headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        return context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Compare(ETag, useStrongComparison: false))
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(Script, "text/javascript; charset=utf-8");
    }

    private static byte[] Load()
    {
        const string Name = "StickyLb.Live.signalr.min.js";
        using var stream = typeof(LiveAssets).Assembly.GetManifestResourceStream(Name)
            ?? throw new InvalidOperationException($"The embedded SignalR client {Name} is missing.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
