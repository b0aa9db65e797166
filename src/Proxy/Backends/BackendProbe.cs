using System.Net;
using System.Net.Http.Json;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Asks a backend's <c>/healthz</c> directly (not through the gateway): the supervisor's readiness
/// check and the admin API's session counts.
/// </summary>
internal sealed class BackendProbe : IDisposable
{
    /// <summary>The backend's health path.</summary>
    public const string HealthPath = "/healthz";

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
    public async Task<BackendHealthReport?> GetHealthAsync(Uri address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri(address, HealthPath), cancellationToken);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable
                ? await response.Content.ReadFromJsonAsync<BackendHealthReport>(cancellationToken)
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();
}
