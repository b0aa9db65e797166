using System.Text;
using Microsoft.Net.Http.Headers;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The response header names the gateway recognises without allocating, and what it does with each.
/// Names are matched case-insensitively on the backend's bytes; values are remembered per connection,
/// so a backend that sends the same <c>Content-Type</c> or <c>Server</c> every time costs no new string.
/// </summary>
internal static class Http1ResponseHeaders
{
    public const int ContentLength = 0;
    public const int TransferEncoding = 1;
    public const int Connection = 2;

    /// <summary>Known names; the first three frame the response, the next ones are hop-by-hop (YARP's list) and dropped.</summary>
    public static readonly string[] Names =
    [
        HeaderNames.ContentLength,
        HeaderNames.TransferEncoding,
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        "Proxy-Connection",
        HeaderNames.ProxyAuthenticate,
        "Proxy-Authentication-Info",
        HeaderNames.ProxyAuthorization,
        "Proxy-Features",
        "Proxy-Instruction",
        "Security-Scheme",
        "ALPN",
        HeaderNames.Upgrade,
        HeaderNames.TE,
        "Close",
        "HTTP2-Settings",
        HeaderNames.UpgradeInsecureRequests,
        HeaderNames.AltSvc,
        // Forwarded to the client as they are.
        HeaderNames.ContentType,
        HeaderNames.Date,
        HeaderNames.Server,
        HeaderNames.SetCookie,
        HeaderNames.CacheControl,
        HeaderNames.Pragma,
        HeaderNames.Expires,
        HeaderNames.ETag,
        HeaderNames.LastModified,
        HeaderNames.Location,
        HeaderNames.Vary,
        HeaderNames.AcceptRanges,
        HeaderNames.ContentEncoding,
        HeaderNames.ContentLanguage,
        HeaderNames.ContentDisposition,
        HeaderNames.RetryAfter,
        HeaderNames.XContentTypeOptions,
        HeaderNames.XFrameOptions,
        HeaderNames.StrictTransportSecurity,
        HeaderNames.AccessControlAllowOrigin,
        HeaderNames.Trailer,
        "X-Backend",
    ];

    /// <summary>Known names from this index on are copied to the client; those before it are not.</summary>
    public const int FirstForwarded = 18;

    /// <summary>YARP's hop-by-hop headers, dropped in both directions: Transfer-Encoding up to the first forwarded name.</summary>
    public static IEnumerable<string> HopByHop => Names[TransferEncoding..FirstForwarded];

    /// <summary>For each name length, the indexes of the known names of that length.</summary>
    private static readonly int[][] ByLength = GroupByLength();

    /// <summary>The index of a known name, or -1.</summary>
    public static int Find(ReadOnlySpan<byte> name)
    {
        var byLength = ByLength;
        if ((uint)name.Length >= (uint)byLength.Length)
        {
            return -1;
        }

        foreach (var index in byLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, Names[index]))
            {
                return index;
            }
        }

        return -1;
    }

    private static int[][] GroupByLength()
    {
        var byLength = new int[Names.Max(n => n.Length) + 1][];
        for (var length = 0; length < byLength.Length; length++)
        {
            byLength[length] = [.. Enumerable.Range(0, Names.Length).Where(i => Names[i].Length == length)];
        }

        return byLength;
    }
}
