using System.Globalization;
using System.Text.Json;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A user on one host of a <see cref="NetworkNamespaces"/> lab: Debian's curl run inside that host's
/// namespace, with a cookie jar of its own kept between requests, as a browser keeps its cookies.
/// HTTPS requests ask for HTTP/2 and accept the lab's self-signed certificate.
/// </summary>
internal sealed class NamespacedCurl(NetworkNamespaces lab, string host, string folder)
{
    private readonly string _jar = Path.Combine(folder, $"{host}-{Guid.NewGuid():N}.jar");
    private int _requests;

    /// <summary>The jar's <c>server</c> cookie: its value and whether it is <c>Secure</c>, or null.</summary>
    public (string Value, bool Secure)? ServerCookie
    {
        get
        {
            if (!File.Exists(_jar))
            {
                return null;
            }

            // Netscape format: domain, subdomains, path, secure, expiry, name, value (HttpOnly ones prefixed #HttpOnly_).
            var fields = File.ReadAllLines(_jar).Select(line => line.Split('\t')).LastOrDefault(f => f.Length == 7 && f[5] == "server");
            return fields is null ? null : (fields[6], fields[3] == "TRUE");
        }
    }

    public Task<CurlResponse> GetAsync(string url, params (string Name, string Value)[] headers) => SendAsync("GET", url, null, headers);

    public Task<CurlResponse> PostJsonAsync(string url, string json) => SendAsync("POST", url, json, []);

    public async Task<CurlResponse> SendAsync(string method, string url, string? json, (string Name, string Value)[] headers)
    {
        var n = Interlocked.Increment(ref _requests).ToString(CultureInfo.InvariantCulture);
        var headerFile = Path.Combine(folder, $"{host}-{n}.headers");
        var bodyFile = Path.Combine(folder, $"{host}-{n}.body");
        List<string> arguments = ["-s", "--max-time", "10", "-X", method, "-b", _jar, "-c", _jar, "-D", headerFile, "-o", bodyFile, "-w", "%{http_code} %{http_version}"];
        if (url.StartsWith("https:", StringComparison.Ordinal))
        {
            arguments.AddRange(["-k", "--http2"]);
        }

        foreach (var (name, value) in headers)
        {
            arguments.AddRange(["-H", $"{name}: {value}"]);
        }

        if (json is not null)
        {
            arguments.AddRange(["-H", "Content-Type: application/json", "--data-raw", json]);
        }

        arguments.Add(url);
        var result = await lab.RunAsync(host, "curl", [.. arguments]);
        if (result.ExitCode != 0)
        {
            throw new HttpRequestException($"curl {method} {url} from {host} failed with exit code {result.ExitCode}: {result.StandardError.Trim()}");
        }

        var written = result.StandardOutput.Split(' ');
        var headerLines = File.ReadAllLines(headerFile).Skip(1).Where(line => line.Contains(':', StringComparison.Ordinal));
        return new CurlResponse(
            int.Parse(written[0], CultureInfo.InvariantCulture),
            written[1],
            [.. headerLines.Select(line => (line[..line.IndexOf(':', StringComparison.Ordinal)].Trim(), line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))],
            File.Exists(bodyFile) ? await File.ReadAllTextAsync(bodyFile) : "");
    }
}

/// <summary>What curl received: the status, the HTTP version it spoke (<c>1.1</c>, <c>2</c>), the headers and the body.</summary>
internal sealed record CurlResponse(int Status, string HttpVersion, IReadOnlyList<(string Name, string Value)> Headers, string Body)
{
    /// <summary>The values of header <paramref name="name"/>, in order.</summary>
    public IEnumerable<string> Header(string name) => Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public T Json<T>() => JsonSerializer.Deserialize<T>(Body, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"The body is not a {typeof(T).Name}: {Body}");

    public override string ToString() => $"{Status} HTTP/{HttpVersion} {string.Join("; ", Headers.Select(h => $"{h.Name}: {h.Value}"))} {Body}";
}
