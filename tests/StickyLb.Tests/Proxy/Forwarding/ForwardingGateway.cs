using Microsoft.Extensions.DependencyInjection;
using StickyLb.Proxy.Forwarding;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Starts an <see cref="InProcessGateway"/> whose three destinations are all one test backend, with a
/// chosen forwarder and no active health checks (their probes would be extra requests and connections
/// the backend counts).
/// </summary>
internal static class ForwardingGateway
{
    public static Task<InProcessGateway> StartAsync(Uri backend, ForwarderMode forwarder, params string[] args) =>
        InProcessGateway.StartAsync(
        [
            "--spawn", "false",
            "--forwarder", forwarder.ToString(),
            "--ReverseProxy:Clusters:backends:HealthCheck:Active:Enabled", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", backend.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", backend.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", backend.ToString(),
            .. args,
        ]);

    /// <summary>
    /// How many connections the gateway's own HTTP/1.1 pool holds to <paramref name="backend"/>: proof
    /// that a request went through <see cref="Http1Forwarder"/> rather than YARP's forwarder.
    /// </summary>
    public static int Http1Connections(this InProcessGateway gateway, Uri backend) =>
        gateway.Services.GetRequiredService<Http1ConnectionPools>().Get(backend.ToString())?.OpenCount ?? 0;

    /// <summary>The gateway's own address (where clients connect).</summary>
    public static Uri Url(this InProcessGateway gateway) =>
        gateway.Gateway.BaseAddress ?? throw new InvalidOperationException("The gateway client has no base address.");

    /// <summary>A client that keeps no cookies, so each request carries exactly the cookies a test gives it.</summary>
    public static HttpClient CreateClient(this InProcessGateway gateway, TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { UseCookies = false })
        {
            BaseAddress = gateway.Url(),
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
}
