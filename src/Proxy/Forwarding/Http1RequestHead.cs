using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// Writes the request line and headers a backend receives, as YARP's forwarder with its default
/// transforms would send them: the client's headers without the hop-by-hop ones, <c>Host</c> set to
/// the destination, and <c>X-Forwarded-For/Proto/Host/Prefix</c> set (any the client sent are replaced).
/// </summary>
internal static class Http1RequestHead
{
    /// <summary>Headers that belong to one connection (YARP's list), or that the gateway sets itself.</summary>
    internal static readonly FrozenSet<string> SkippedHeaders = Http1ResponseHeaders.HopByHop
        .Concat([HeaderNames.Host, ForwardedHeaders.For, ForwardedHeaders.Proto, ForwardedHeaders.Host, ForwardedHeaders.Prefix])
        .ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Writes the head into an array from <see cref="ArrayPool{T}.Shared"/>, which the caller returns.
    /// </summary>
    public static byte[] Write(HttpContext context, Http1ConnectionPool pool, out int length)
    {
        var writer = new HeadWriter(ArrayPool<byte>.Shared.Rent(4096));
        var request = context.Request;

        writer.Append(request.Method);
        writer.Append(" "u8);
        writer.Append(pool.PathPrefix);
        var path = request.Path;
        if (path.HasValue)
        {
            writer.AppendEncodedPath(path.Value);
        }
        else if (pool.PathPrefix.Length == 0)
        {
            writer.Append("/"u8);
        }

        writer.Append(request.QueryString.Value);
        writer.Append(" HTTP/1.1\r\n"u8);
        writer.Append(pool.HostHeader);

        foreach (var header in request.Headers)
        {
            if (SkippedHeaders.Contains(header.Key))
            {
                continue;
            }

            writer.Append(header.Key);
            writer.Append(": "u8);
            var separator = string.Equals(header.Key, HeaderNames.Cookie, StringComparison.OrdinalIgnoreCase) ? "; "u8 : ", "u8;
            var values = header.Value;
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    writer.Append(separator);
                }

                writer.Append(values[i]);
            }

            writer.Append("\r\n"u8);
        }

        if (context.Connection.RemoteIpAddress is { } address)
        {
            writer.Append("X-Forwarded-For: "u8);
            writer.Append(address);
            writer.Append("\r\n"u8);
        }

        writer.Append("X-Forwarded-Proto: "u8);
        writer.Append(request.Scheme);
        writer.Append("\r\n"u8);
        if (request.Host.HasValue)
        {
            writer.Append("X-Forwarded-Host: "u8);
            writer.Append(request.Host.Value);
            writer.Append("\r\n"u8);
        }

        if (request.PathBase.HasValue)
        {
            writer.Append("X-Forwarded-Prefix: "u8);
            writer.Append(request.PathBase.ToUriComponent());
            writer.Append("\r\n"u8);
        }

        writer.Append("\r\n"u8);
        length = writer.Length;
        return writer.Array;
    }

    /// <summary>The canonical names of the X-Forwarded headers YARP sets by default.</summary>
    private static class ForwardedHeaders
    {
        public const string For = "X-Forwarded-For";
        public const string Proto = "X-Forwarded-Proto";
        public const string Host = "X-Forwarded-Host";
        public const string Prefix = "X-Forwarded-Prefix";
    }

    /// <summary>Appends to a pooled array, growing it (through the pool) when a head is unusually large.</summary>
    private struct HeadWriter(byte[] array)
    {
        public byte[] Array { get; private set; } = array;

        public int Length { get; private set; }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(Array.AsSpan(Length));
            Length += bytes.Length;
        }

        public void Append(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            // Header values are Latin-1 on the wire, as HttpClient sends them.
            Ensure(text.Length);
            Length += Encoding.Latin1.GetBytes(text, Array.AsSpan(Length));
        }

        /// <summary>
        /// A path as Kestrel decoded it, escaped again as YARP escapes it: every character outside
        /// RFC 3986's path characters, '%' included, becomes %XX of its UTF-8 bytes. So "%2541" stays
        /// "%2541" and never turns into "%41" (or "%2e%2e" into "..") on the way to the backend.
        /// </summary>
        public void AppendEncodedPath(string path)
        {
            Ensure(path.Length);
            Span<byte> utf8 = stackalloc byte[4];
            for (var i = 0; i < path.Length; i++)
            {
                var c = path[i];
                if (IsPathChar(c))
                {
                    Array[Length++] = (byte)c;
                    continue;
                }

                var pair = char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]);
                var rune = pair ? new Rune(c, path[++i]) : Rune.IsValid(c) ? new Rune(c) : Rune.ReplacementChar;
                var count = rune.EncodeToUtf8(utf8);
                Ensure(count * 3 + (path.Length - i));
                for (var b = 0; b < count; b++)
                {
                    Array[Length++] = (byte)'%';
                    Array[Length++] = (byte)HexConverter(utf8[b] >> 4);
                    Array[Length++] = (byte)HexConverter(utf8[b] & 0xF);
                }
            }
        }

        private static char HexConverter(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

        private static bool IsPathChar(char c) =>
            char.IsAsciiLetterOrDigit(c)
            || c is '-' or '.' or '_' or '~'
            || c is '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '='
            || c is ':' or '@' or '/';

        public void Append(System.Net.IPAddress address)
        {
            Ensure(64);
            Span<char> chars = stackalloc char[64];
            address.TryFormat(chars, out var written);
            Length += Encoding.Latin1.GetBytes(chars[..written], Array.AsSpan(Length));
        }

        private void Ensure(int more)
        {
            if (Length + more <= Array.Length)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Array.Length * 2, Length + more));
            Array.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(Array);
            Array = larger;
        }
    }
}
