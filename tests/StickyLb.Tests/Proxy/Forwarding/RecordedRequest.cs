using System.Text;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>A request as a <see cref="RequestRecorder"/> received it; each header line's value separately.</summary>
internal sealed record RecordedRequest(string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>
    /// The request as text for comparison: method and target, then the headers as a case-insensitive
    /// multiset (lower-cased names, sorted), then the body. The Host header names the backend, which
    /// differs from one test backend to another, so it becomes <c>{backend}</c> when it is exactly
    /// <paramref name="backend"/>'s authority.
    /// </summary>
    public string Describe(Uri backend)
    {
        var headers = Headers
            .Select(h => (Name: h.Key.ToLowerInvariant(), h.Value))
            .Select(h => h.Name == "host" && h.Value == backend.Authority ? (h.Name, Value: "{backend}") : h)
            .Select(h => $"{h.Name}: {h.Value}")
            .Order(StringComparer.Ordinal);
        return $"{Method} {Target}\n{string.Join('\n', headers)}\n\n{Convert.ToHexString(Body)} ({Encoding.UTF8.GetString(Body)})";
    }
}
