using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Starts an <see cref="InProcessGateway"/> whose three destinations are all one test backend, with no
/// active health checks (their probes would be extra requests and connections
/// the backend counts).
/// </summary>
internal static class ForwardingGateway
{
    public static Task<InProcessGateway> StartAsync(Uri backend, params string[] args) =>
        InProcessGateway.StartAsync(
        [
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:HealthCheck:Active:Enabled", "false",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", backend.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", backend.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", backend.ToString(),
            .. args,
        ]);

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
