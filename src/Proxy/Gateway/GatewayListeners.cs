using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The gateway's listeners, mapped onto Kestrel's own endpoints: one per <c>--listen</c> URL (default
/// <c>http://127.0.0.1:5000</c>), each proxying with backend connections of its own per client connection, and
/// the admin listener (<c>--admin-listen</c>, default <c>http://127.0.0.1:5001</c>) for the admin API, dashboard and
/// <c>/metrics</c>, which no gateway listener serves. HTTPS
/// listeners use Kestrel's TLS with the <c>--certificate</c> and speak HTTP/1.1 and HTTP/2 (ALPN). Kept so that
/// the ports actually bound are known (port 0 picks a free one).
/// </summary>
internal sealed class GatewayListeners : IDisposable
{
    private readonly List<(ListenUrl Url, ListenOptions Options)> _gateway = [];
    private ListenOptions? _admin;
    private X509Certificate2? _certificate;
    private bool _adminIsHttps;

    /// <summary>The first gateway listener's URL once it listens, as a client on this machine reaches it.</summary>
    public Uri GatewayUrl => _gateway.Count > 0 ? _gateway[0].Url.LocalUri(Port(_gateway[0].Options)) : throw NotListening();

    /// <summary>Every gateway listener's URL once it listens, as given (<c>https://0.0.0.0:8443</c>).</summary>
    public IReadOnlyList<string> GatewayUrls => [.. _gateway.Select(g => g.Url.Format(Port(g.Options)))];

    /// <summary>
    /// Where the gateway's own clients (the dashboard's simulated users) reach it: an HTTP listener if there is
    /// one, else the first, with <see cref="Certificate"/> to trust.
    /// </summary>
    public Uri LocalGatewayUrl => _gateway.Where(g => !g.Url.IsHttps).Concat(_gateway).Select(g => g.Url.LocalUri(Port(g.Options))).FirstOrDefault() ?? throw NotListening();

    /// <summary>The HTTPS listeners' certificate, if any listener uses one.</summary>
    public X509Certificate2? Certificate => _certificate;

    /// <summary>The admin API and dashboard URL once it listens.</summary>
    public Uri AdminUrl => _admin?.IPEndPoint is { } endPoint ? new Uri($"{(_adminIsHttps ? "https" : "http")}://{endPoint}") : throw NotListening();

    /// <summary>The listeners <paramref name="options"/> ask for (validated at start-up: every URL parses).</summary>
    public static IReadOnlyList<ListenUrl> GatewayUrlsOf(GatewayOptions options) =>
        options.Listen.Count == 0
            ? [ListenUrl.Default(options.Port)]
            : [.. options.Listen.Select(text => ListenUrl.TryParse(text, out var url, out _) ? url : throw new InvalidOperationException($"Unchecked --listen '{text}'."))];

    internal void Configure(KestrelServerOptions kestrel, GatewayOptions options)
    {
        kestrel.AddServerHeader = false;
        var urls = GatewayUrlsOf(options);
        var admin = AdminListenAddress.From(options);
        _adminIsHttps = admin.IsHttps;
        if ((admin.IsHttps || urls.Any(url => url.IsHttps)) && _certificate is null)
        {
            // Checked by the options validator: a failure here is a file changed since then.
            _certificate = GatewayCertificate.TryLoad(options, out var certificate, out var error) ? certificate : throw new IOException(error);
        }

        foreach (var url in urls)
        {
            void Listener(ListenOptions listener)
            {
                _gateway.Add((url, listener));
                ClientConnectionBackends.Attach(listener);
                if (url.IsHttps)
                {
                    listener.Protocols = HttpProtocols.Http1AndHttp2;
                    listener.UseHttps(_certificate!);
                }
            }

            if (url.Address is null)
            {
                kestrel.ListenLocalhost(url.Port, Listener);
            }
            else
            {
                kestrel.Listen(url.Address, url.Port, Listener);
            }
        }

        admin.Listen(kestrel, listener =>
        {
            _admin = listener;
            AdminConnection.MarkConnections(listener);
            if (admin.IsHttps)
            {
                listener.UseHttps(_certificate!);
            }
        });
    }

    public void Dispose() => _certificate?.Dispose();

    private static int Port(ListenOptions listener) => listener.IPEndPoint?.Port ?? throw NotListening();

    private static InvalidOperationException NotListening() => new("The gateway is not listening yet.");
}
