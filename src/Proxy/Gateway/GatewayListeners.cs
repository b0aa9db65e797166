using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The gateway's two listeners, on 127.0.0.1 unless told otherwise: the gateway port that proxies, and the admin
/// port for the admin API and dashboard. Kept so that the actual ports are known after binding
/// (port 0 picks a free one).
/// </summary>
internal sealed class GatewayListeners
{
    private ListenOptions? _gateway;
    private ListenOptions? _admin;

    /// <summary>The gateway's URL once it listens.</summary>
    public Uri GatewayUrl => Url(_gateway);

    /// <summary>The admin API and dashboard URL once it listens.</summary>
    public Uri AdminUrl => Url(_admin);

    internal void Configure(KestrelServerOptions kestrel, GatewayOptions options)
    {
        kestrel.AddServerHeader = false;
        kestrel.Listen(IPAddress.Loopback, options.Port, listener =>
        {
            _gateway = listener;
            ClientConnectionBackends.Attach(listener);
        });
        AdminListenAddress.From(options).Listen(kestrel, listener =>
        {
            _admin = listener;
            AdminConnection.MarkConnections(listener);
        });
    }

    private static Uri Url(ListenOptions? listener) =>
        listener?.IPEndPoint is { } endPoint
            ? new Uri($"http://{endPoint}")
            : throw new InvalidOperationException("The gateway is not listening yet.");
}
