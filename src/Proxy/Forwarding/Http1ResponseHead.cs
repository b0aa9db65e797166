using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// Reads a backend's response head and copies it to the client's response as YARP's forwarder does:
/// status, a reason phrase only when it is not the standard one, every header but the hop-by-hop ones,
/// appended to what the gateway already set (the affinity cookie). The head is checked in full before
/// anything is copied, so a malformed one leaves the client's response untouched for the 502.
/// </summary>
internal static class Http1ResponseHead
{
    /// <summary>The status code of a head that ends in CRLF CRLF.</summary>
    public static int ReadStatus(ReadOnlySpan<byte> head)
    {
        // HTTP/1.x SSS[ reason]
        if (head.Length < 14
            || !head.StartsWith("HTTP/1."u8)
            || head[7] is not ((byte)'0' or (byte)'1')
            || head[8] != (byte)' '
            || head[12] is not ((byte)' ' or (byte)'\r')
            || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var consumed)
            || consumed != 3
            || status < 100)
        {
            throw Malformed("status line");
        }

        return status;
    }

    public static Http1ResponseFraming Apply(HttpContext context, ReadOnlySpan<byte> head, bool isHeadRequest, string?[] values)
    {
        var status = ReadStatus(head);
        var statusLineLength = head.IndexOf("\r\n"u8);
        var http10 = head[7] == (byte)'0';
        var fields = head[(statusLineLength + 2)..^2];

        long contentLength = -1;
        var chunked = false;
        var otherEncoding = false;
        var close = http10;
        for (var rest = fields; !rest.IsEmpty;)
        {
            var name = NextField(ref rest, out var value);
            switch (Http1ResponseHeaders.Find(name))
            {
                case Http1ResponseHeaders.ContentLength:
                    if (!Utf8Parser.TryParse(value, out long length, out var consumed) || consumed != value.Length || length < 0
                        || (contentLength >= 0 && contentLength != length))
                    {
                        throw Malformed("Content-Length");
                    }

                    contentLength = length;
                    break;
                case Http1ResponseHeaders.TransferEncoding:
                    chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
                    otherEncoding = !chunked;
                    break;
                case Http1ResponseHeaders.Connection:
                    close = HasToken(value, "close"u8) || (close && !HasToken(value, "keep-alive"u8));
                    break;
            }
        }

        var body = isHeadRequest || status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified ? Http1BodyKind.None
            : chunked ? Http1BodyKind.Chunked
            : otherEncoding ? Http1BodyKind.UntilClose
            : contentLength > 0 ? Http1BodyKind.ContentLength
            : contentLength == 0 ? Http1BodyKind.None
            : Http1BodyKind.UntilClose;

        var response = context.Response;
        response.StatusCode = status;
        if (statusLineLength > 13)
        {
            var reason = head[13..statusLineLength];
            if (!Ascii.Equals(reason, ReasonPhrases.GetReasonPhrase(status)))
            {
                context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = Encoding.Latin1.GetString(reason);
            }
        }

        var headers = response.Headers;
        for (var rest = fields; !rest.IsEmpty;)
        {
            var name = NextField(ref rest, out var value);
            var known = Http1ResponseHeaders.Find(name);
            if (known == Http1ResponseHeaders.ContentLength)
            {
                if (!chunked && !otherEncoding && status != StatusCodes.Status204NoContent)
                {
                    response.ContentLength = contentLength;
                }
            }
            else if (known < 0)
            {
                Add(headers, Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value));
            }
            else if (known >= Http1ResponseHeaders.FirstForwarded)
            {
                Add(headers, Http1ResponseHeaders.Names[known], Remembered(values, known, value));
            }
        }

        return new Http1ResponseFraming(body, contentLength, !close);
    }

    /// <summary>Adds a value after any the gateway set (its affinity cookie); unlike Append, keeps an empty value.</summary>
    private static void Add(IHeaderDictionary headers, string name, string value)
    {
        var existing = headers[name];
        headers[name] = existing.Count == 0 ? new StringValues(value) : StringValues.Concat(existing, value);
    }

    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> fields, out ReadOnlySpan<byte> value)
    {
        var end = fields.IndexOf("\r\n"u8);
        var line = end >= 0 ? fields[..end] : fields;
        fields = end >= 0 ? fields[(end + 2)..] : default;

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[0] is (byte)' ' or (byte)'\t' || line[..colon].IndexOfAny(" \t"u8) >= 0)
        {
            throw Malformed("header line");
        }

        value = line[(colon + 1)..].Trim(" \t"u8);
        return line[..colon];
    }

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value as a string, reusing the one this connection saw last for the same header.</summary>
    private static string Remembered(string?[] values, int known, ReadOnlySpan<byte> value)
    {
        var last = values[known];
        if (last is not null && last.Length == value.Length && Ascii.Equals(value, last))
        {
            return last;
        }

        return values[known] = Encoding.Latin1.GetString(value);
    }

    private static ForwardingFailure Malformed(string part) =>
        new(ForwarderError.Request, $"The backend sent a malformed response ({part}).");
}
