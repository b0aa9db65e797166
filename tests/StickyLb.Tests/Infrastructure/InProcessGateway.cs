using System.Globalization;
using Microsoft.AspNetCore.Builder;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// The gateway in this process on real Kestrel and free ports, built exactly as Program.cs builds it.
/// YARP forwards over real HTTP, so an in-memory TestServer would not do.
/// </summary>
internal sealed class InProcessGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGateway(WebApplication app, GatewayListeners listeners)
    {
        _app = app;
        Admin = new HttpClient { BaseAddress = listeners.AdminUrl };
        Gateway = new HttpClient { BaseAddress = listeners.GatewayUrl };
    }

    public HttpClient Admin { get; }

    public HttpClient Gateway { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessGateway> StartAsync(params string[] args)
    {
        string[] ports = ["--port", Free(), "--admin-port", Free(), "--backend-port", FreePorts.Range(3).ToString(CultureInfo.InvariantCulture)];
        if (!GatewayApp.TryBuild([.. ports, .. args], out var app, out var error))
        {
            throw new InvalidOperationException(error);
        }

        await app.StartAsync();
        return new InProcessGateway(app, (GatewayListeners)app.Services.GetService(typeof(GatewayListeners))!);
    }

    private static string Free() => FreePorts.Next().ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Gateway.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
