using System.Security.Cryptography;
using System.Text;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>What an HttpClient saw of a response, as text for comparison.</summary>
internal static class ReceivedResponse
{
    /// <summary>Headers the gateway itself writes or that vary by the second, left out of comparisons.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase) { "Date", "Server" };

    /// <summary>
    /// Status, reason phrase, headers as a case-insensitive multiset (lower-cased names, sorted, one
    /// line per value) and the body (its text when short, else its length and SHA-256).
    /// </summary>
    public static async Task<string> DescribeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.NonValidated
            .Concat(response.Content.Headers.NonValidated)
            .Where(h => !Ignored.Contains(h.Key))
            .SelectMany(h => h.Value.Select(v => $"{h.Key.ToLowerInvariant()}: {v}"))
            .Order(StringComparer.Ordinal);
        var text = body.Length <= 256 ? Encoding.Latin1.GetString(body) : $"{body.Length} bytes, SHA-256 {Convert.ToHexString(SHA256.HashData(body))}";
        return $"{(int)response.StatusCode} {response.ReasonPhrase}\n{string.Join('\n', headers)}\n\n{text}";
    }
}
