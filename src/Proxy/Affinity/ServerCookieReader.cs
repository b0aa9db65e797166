using Microsoft.Extensions.Primitives;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// Finds one cookie in the raw <c>Cookie</c> headers without allocating: the affinity policy runs
/// on every proxied request, and the framework's cookie collection would parse every cookie into
/// a dictionary of new strings to read a single short value.
/// </summary>
internal static class ServerCookieReader
{
    /// <summary>Reads cookie <paramref name="name"/> from <paramref name="cookieHeaders"/>.</summary>
    /// <param name="cookieHeaders">The request's <c>Cookie</c> header values.</param>
    /// <param name="name">The cookie name (case-sensitive, as cookie names are).</param>
    /// <param name="value">The value when the result is <see cref="ServerCookieStatus.WellFormed"/>; otherwise empty.</param>
    public static ServerCookieStatus Read(StringValues cookieHeaders, string name, out ReadOnlySpan<char> value)
    {
        var status = Find(cookieHeaders, name, out value);
        if (status != ServerCookieStatus.WellFormed)
        {
            return status;
        }

        status = Classify(value);
        if (status != ServerCookieStatus.WellFormed)
        {
            value = default;
        }

        return status;
    }

    /// <summary>
    /// Finds cookie <paramref name="name"/> without judging its value: <see cref="ServerCookieStatus.WellFormed"/>
    /// with the raw value when it is there once, else <see cref="ServerCookieStatus.None"/> or
    /// <see cref="ServerCookieStatus.Repeated"/>. <see cref="PinLifetime"/> reads a pin with times this way.
    /// </summary>
    public static ServerCookieStatus Find(StringValues cookieHeaders, string name, out ReadOnlySpan<char> value)
    {
        value = default;
        var found = 0;
        for (var i = 0; i < cookieHeaders.Count; i++)
        {
            var rest = cookieHeaders[i].AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf(';');
                var pair = (end < 0 ? rest : rest[..end]).Trim(' ');
                rest = end < 0 ? default : rest[(end + 1)..];

                var equals = pair.IndexOf('=');
                if (equals < 0 || !pair[..equals].TrimEnd(' ').SequenceEqual(name))
                {
                    continue;
                }

                if (++found > 1)
                {
                    value = default;
                    return ServerCookieStatus.Repeated;
                }

                value = pair[(equals + 1)..].TrimStart(' ');
            }
        }

        return found == 0 ? ServerCookieStatus.None : ServerCookieStatus.WellFormed;
    }

    private static ServerCookieStatus Classify(ReadOnlySpan<char> value)
    {
        if (value.Length > AffinityDefaults.MaxCookieValueLength)
        {
            return ServerCookieStatus.Oversized;
        }

        if (value.IsEmpty)
        {
            return ServerCookieStatus.Malformed;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return ServerCookieStatus.Malformed;
            }
        }

        return ServerCookieStatus.WellFormed;
    }
}
