using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace StickyLb.BackendApp.Hosting;

/// <summary>
/// What a backend believes of the gateway: the client's address, scheme and host from <c>X-Forwarded-For</c>,
/// <c>-Proto</c> and <c>-Host</c> (ASP.NET Core's <c>UseForwardedHeaders</c>), from loopback and the
/// <see cref="BackendOptions.TrustedProxies"/> only, as any ASP.NET Core app behind StickyLb should (docs/your-app.md).
/// </summary>
internal sealed class BackendForwardedHeaders(IOptions<BackendOptions> backend) : IConfigureOptions<ForwardedHeadersOptions>
{
    public void Configure(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        // One gateway in front: the last address it appends is the client's; anything before it is the
        // client's own word (the gateway replaces a client's X-Forwarded-For, but a limit of 1 holds even
        // behind a proxy that appends).
        options.ForwardLimit = 1;
        // The defaults (127.0.0.0/8 and ::1) stay: a spawned backend's gateway is on this machine.
        if (!TrustedProxies.TryParse(backend.Value.TrustedProxies, out var addresses, out var networks, out var invalid))
        {
            // BackendOptions.Validate refuses such a value at start-up; never trust anyone more on a bad one.
            throw new InvalidOperationException($"Backend:TrustedProxies '{invalid}' is not an IP address or a CIDR network.");
        }

        foreach (var address in addresses)
        {
            options.KnownProxies.Add(address);
        }

        foreach (var network in networks)
        {
            options.KnownIPNetworks.Add(network);
        }
    }
}
