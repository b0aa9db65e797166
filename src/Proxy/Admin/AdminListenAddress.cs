using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// Where the admin listener binds: <c>--admin-listen</c>'s URL, read with Kestrel's own parser
/// (<see cref="BindingAddress"/>), or <c>http://127.0.0.1:--admin-port</c>. An IP address, <c>localhost</c>
/// (127.0.0.1 and [::1]) or <c>*</c> (every address), bound the way Kestrel binds each of them. Whether the
/// address is loopback decides the admin listener's protection (<see cref="AdminRequestGuard"/>): off loopback
/// every request needs the token.
/// </summary>
internal sealed class AdminListenAddress
{
    private const string Expected = "an http:// or https:// URL with an IP address, localhost or * and a port, such as http://127.0.0.1:5001 or https://0.0.0.0:5001";

    private AdminListenAddress(IPAddress? address, bool isLocalhost, int port, bool isHttps = false)
    {
        Address = address;
        IsLocalhost = isLocalhost;
        Port = port;
        IsHttps = isHttps;
    }

    /// <summary>Whether the admin listener speaks TLS, with the gateway's <c>--certificate</c>.</summary>
    public bool IsHttps { get; }

    /// <summary>The address, or null for <c>localhost</c> and <c>*</c>.</summary>
    public IPAddress? Address { get; }

    /// <summary>Whether the URL named <c>localhost</c>: both loopback addresses.</summary>
    public bool IsLocalhost { get; }

    /// <summary>The port; 0 picks a free one (not with <c>localhost</c>).</summary>
    public int Port { get; }

    /// <summary>Whether only this machine can connect: then no token is asked for, and the Host is checked instead.</summary>
    public bool IsLoopback => IsLocalhost || (Address is not null && IPAddress.IsLoopback(Address));

    /// <summary>The admin listener <paramref name="options"/> ask for; they are validated, so the URL parses.</summary>
    public static AdminListenAddress From(GatewayOptions options)
    {
        if (options.AdminListen is null)
        {
            return new AdminListenAddress(IPAddress.Loopback, isLocalhost: false, options.AdminPort);
        }

        return TryParse(options.AdminListen, out var address, out var problem) ? address : throw new InvalidOperationException(problem);
    }

    /// <summary>Reads <paramref name="url"/>, or says in one line why it cannot be the admin listener.</summary>
    public static bool TryParse(string url, [NotNullWhen(true)] out AdminListenAddress? address, out string problem)
    {
        address = null;
        problem = "";
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            problem = Invalid(url, "expected " + Expected);
            return false;
        }

        var isHttps = string.Equals(binding.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        if ((!isHttps && !string.Equals(binding.Scheme, "http", StringComparison.OrdinalIgnoreCase)) || binding.IsUnixPipe || binding.IsNamedPipe || binding.PathBase.Length > 0)
        {
            problem = Invalid(url, "expected " + Expected);
            return false;
        }

        var host = binding.Host;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (binding.Port == 0)
            {
                problem = Invalid(url, "localhost needs a port of its own (0 picks one per address); use http://127.0.0.1:0");
                return false;
            }

            address = new AdminListenAddress(null, isLocalhost: true, binding.Port, isHttps);
            return true;
        }

        if (host is "*" or "+")
        {
            address = new AdminListenAddress(null, isLocalhost: false, binding.Port, isHttps);
            return true;
        }

        if (!IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            problem = Invalid(url, "expected " + Expected + " (a host name is not resolved: give its address)");
            return false;
        }

        address = new AdminListenAddress(ip, isLocalhost: false, binding.Port, isHttps);
        return true;
    }

    /// <summary>Binds the admin listener on <paramref name="kestrel"/> as Kestrel binds such a URL.</summary>
    public void Listen(KestrelServerOptions kestrel, Action<ListenOptions> configure)
    {
        if (IsLocalhost)
        {
            kestrel.ListenLocalhost(Port, configure);
        }
        else if (Address is null)
        {
            kestrel.ListenAnyIP(Port, configure);
        }
        else
        {
            kestrel.Listen(Address, Port, configure);
        }
    }

    private static string Invalid(string url, string reason) => $"Invalid admin-listen '{url}' (--admin-listen or Gateway:AdminListen): {reason}.";
}
