using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// The live dashboard on the admin port: <c>Dashboard/index.html</c>, <c>dashboard.css</c> and
/// <c>dashboard.js</c>, plain files embedded in the assembly and served as they are, with an ETag so that
/// a browser revalidates instead of downloading them again. One card per backend (state, health, pid,
/// sessions, memory, requests; kill, start, drain and ready), the failover toggle, the store, a chart of
/// the last 30 seconds of requests per backend by outcome, the affinity counters, and simulated users;
/// it polls the admin API every second. Self-contained: no CDN, no fonts, no internet.
/// </summary>
internal static class DashboardAssets
{
    private static readonly Asset[] Assets =
    [
        Load("/", "index.html", "text/html; charset=utf-8"),
        Load("/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
        Load("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
    ];

    /// <summary>Maps each asset's path on <paramref name="admin"/>, the admin port's endpoints.</summary>
    public static void MapDashboard(this IEndpointRouteBuilder admin)
    {
        foreach (var asset in Assets)
        {
            // No token asked for (AdminRequestGuard): a page load cannot send one, and the files are the same for
            // everyone; what they show comes from the API, which asks.
            admin.MapGet(asset.Path, (HttpContext context) => Serve(context, asset)).AllowAnonymous();
        }
    }

    private static IResult Serve(HttpContext context, Asset asset)
    {
        var headers = context.Response.GetTypedHeaders();
        headers.ETag = asset.ETag;
        // Cached, but always revalidated: a new gateway build serves new files at once.
        headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        var requested = context.Request.GetTypedHeaders().IfNoneMatch;
        return requested.Any(tag => tag.Compare(asset.ETag, useStrongComparison: false))
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static Asset Load(string path, string file, string contentType)
    {
        var name = "StickyLb.Dashboard." + file;
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded dashboard file {name} is missing.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8))}\"");
        return new Asset(path, content, contentType, etag);
    }

    private sealed record Asset(string Path, byte[] Content, string ContentType, EntityTagHeaderValue ETag);
}
