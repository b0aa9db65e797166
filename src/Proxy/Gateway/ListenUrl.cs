using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// One <c>--listen</c> URL: <c>http://</c> or <c>https://</c>, an address (<c>0.0.0.0</c>, <c>[::]</c>, a host's
/// address, <c>127.0.0.1</c>) or <c>localhost</c> (both loopbacks, as Kestrel binds it), and a port (0: any free
/// port; omitted: 80 or 443). A host name other than localhost is refused: a listener binds an address, and
/// Kestrel would otherwise bind every address with a warning, which is not what a user who named a host meant.
/// </summary>
/// <param name="IsHttps">Whether the listener speaks TLS.</param>
/// <param name="Address">The address to bind; null for <c>localhost</c>.</param>
/// <param name="Port">The port to bind.</param>
internal sealed record ListenUrl(bool IsHttps, IPAddress? Address, int Port)
{
    /// <summary>The listener a user gets without <c>--listen</c>: <c>http://127.0.0.1:</c><paramref name="port"/>.</summary>
    public static ListenUrl Default(int port) => new(false, IPAddress.Loopback, port);

    /// <summary>Whether only this machine can reach the listener.</summary>
    public bool IsLoopback => Address is null || IPAddress.IsLoopback(Address);

    /// <summary>Parses <paramref name="text"/>, or says in a few words what is wrong with it.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ListenUrl? url, out string reason)
    {
        url = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            reason = "an http:// or https:// URL";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            reason = "a URL without a path, such as https://0.0.0.0:8443 (the gateway proxies every path)";
            return false;
        }

        IPAddress? address;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = null;
        }
        else if (!IPAddress.TryParse(uri.Host, out address))
        {
            reason = "an address to bind (0.0.0.0, [::], a host's address, 127.0.0.1) or localhost, not a host name";
            return false;
        }

        if (address is null && uri.Port == 0)
        {
            reason = "a port for localhost (Kestrel binds both loopbacks, which cannot share a port it picks); or 127.0.0.1 with port 0";
            return false;
        }

        url = new ListenUrl(uri.Scheme == Uri.UriSchemeHttps, address, uri.Port);
        reason = "";
        return true;
    }

    /// <summary>The URL as a user writes it: <c>https://0.0.0.0:8443</c>.</summary>
    public override string ToString() => Format(Port);

    /// <summary>The URL with <paramref name="port"/> (the port actually bound).</summary>
    public string Format(int port)
    {
        var host = Address is null ? "localhost" : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{(IsHttps ? "https" : "http")}://{host}:{port}");
    }

    /// <summary>
    /// Where a client on this machine reaches the listener bound on <paramref name="port"/>: a wildcard address
    /// becomes the loopback of its family.
    /// </summary>
    public Uri LocalUri(int port)
    {
        var local = Address switch
        {
            null => this with { Address = IPAddress.Loopback },
            _ when Address.Equals(IPAddress.Any) => this with { Address = IPAddress.Loopback },
            _ when Address.Equals(IPAddress.IPv6Any) => this with { Address = IPAddress.IPv6Loopback },
            _ => this,
        };
        return new Uri(local.Format(port));
    }
}
