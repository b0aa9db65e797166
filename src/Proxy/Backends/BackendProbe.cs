using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Shared;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Asks a backend's <c>/healthz</c> directly (not through the gateway): the supervisor's readiness
/// check and the admin API's session counts. Only BackendApp answers it: in front of an app the gateway does
/// not run, it asks only when the active probe asks the same path (the app has one), so that an app without
/// it is not sent a request that answers 404 every time the dashboard refreshes; its sessions show as 0.
/// </summary>
internal sealed class BackendProbe(IOptions<GatewayOptions> options, IConfiguration configuration) : IDisposable
{
    /// <summary>The active probe's path as the <c>ReverseProxy</c> section may name it.</summary>
    private const string ConfiguredProbePath = "ReverseProxy:Clusters:" + GatewayOptions.ClusterId + ":HealthCheck:Active:Path";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = ProbeTimeout,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = ProbeTimeout,
    };

    /// <summary>
    /// The backend's health report, or null when it does not answer in time. A backend that answers 503
    /// because its store is out (redis mode) reports too: it runs, and serves once the store is back.
    /// </summary>
    public async Task<HealthResponse?> GetHealthAsync(Uri address, CancellationToken cancellationToken)
    {
        if (!AsksBackends)
        {
            return null;
        }

        try
        {
            using var response = await _client.GetAsync(new Uri(address, HealthResponse.Path), cancellationToken);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable
                ? await response.Content.ReadFromJsonAsync<HealthResponse>(cancellationToken)
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Whether the backends answer <see cref="HealthResponse.Path"/>: the gateway spawned them, or the probe asks it too.</summary>
    public bool AsksBackends => options.Value.Spawn
        || string.Equals(options.Value.HealthPath ?? configuration[ConfiguredProbePath], HealthResponse.Path, StringComparison.Ordinal);

    public void Dispose() => _client.Dispose();
}
