using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace StickyLb.Proxy.Simulation;

/// <summary>
/// A synthetic browser: its own cookie jar (the <c>server</c> pin and the session cookie), sharing a
/// connection pool with every other simulated user. Used by <c>compare</c> and the dashboard.
/// </summary>
internal sealed class SimulatedUser(string name, HttpMessageInvoker http, Uri gateway)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private CookieContainer _cookies = new();

    public string Name { get; } = name;

    /// <summary>The backend that answered this user's last successful request.</summary>
    public string? Backend { get; private set; }

    /// <summary>
    /// The backend that answered this visit's first successful request: where the user was first pinned. A user
    /// moved since (a kill, or rebalancing) still has it, so that the busy users stay the busy ones wherever they go.
    /// </summary>
    public string? FirstBackend { get; private set; }

    /// <summary>
    /// The backend the user's <c>server</c> cookie names now (what its next request is pinned to), or null: the id before
    /// the pin's times when the gateway runs with pin lifetimes.
    /// </summary>
    public string? Pin => _cookies.GetCookies(gateway)[Affinity.AffinityDefaults.CookieName]?.Value.Split('.', 2)[0];

    /// <summary>The visit count of the last successful <c>/whoami</c>.</summary>
    public int Visits { get; private set; }

    /// <summary>The user's cookie jar, which the user's live connection shares (<see cref="SimulatedLiveConnection"/>).</summary>
    public CookieContainer Cookies => _cookies;

    /// <summary>Whether the last <c>/whoami</c> or <c>/login</c> showed this user logged in.</summary>
    public bool LoggedIn { get; private set; }

    /// <summary>
    /// Creates the shared client all simulated users send through: cookies are per user, not per client. Over
    /// HTTPS it trusts exactly <paramref name="gatewayCertificate"/>, the gateway's own (often self-signed for a
    /// wildcard address that no name in it matches): these users talk to the gateway they run in.
    /// </summary>
    public static HttpMessageInvoker CreateSharedClient(X509Certificate2? gatewayCertificate = null) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        UseProxy = false,
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = 64,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        SslOptions = gatewayCertificate is null ? new() : new()
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHash().AsSpan().SequenceEqual(gatewayCertificate.GetCertHash()),
        },
    });

    public async Task<UserReply> LoginAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Post, "/login", new { user = Name }, cancellationToken);
        Observe(reply);
        return reply;
    }

    /// <summary>Logs out and leaves: the next request is a new visitor's, with an empty cookie jar.</summary>
    public async Task<UserReply> LeaveAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Post, "/logout", null, cancellationToken);
        _cookies = new CookieContainer();
        (Backend, FirstBackend, Visits, LoggedIn) = (null, null, 0, false);
        return reply;
    }

    public Task<UserReply> AddToCartAsync(string item, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/cart/items", new { item }, cancellationToken);

    public Task<UserReply> GetCartAsync(CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "/cart", null, cancellationToken);

    public async Task<UserReply> WhoAmIAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, "/whoami", null, cancellationToken);
        Observe(reply);
        return reply;
    }

    private void Observe(UserReply reply)
    {
        if (reply.IsSuccess)
        {
            Backend = reply.Text("backend");
            FirstBackend ??= Backend;
            Visits = reply.Number("visits");
            LoggedIn = reply.Text("user") == Name;
        }
    }

    private async Task<UserReply> SendAsync(HttpMethod method, string path, object? json, CancellationToken cancellationToken)
    {
        var uri = new Uri(gateway, path);
        using var request = new HttpRequestMessage(method, uri);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        var cookies = _cookies.GetCookieHeader(uri);
        if (cookies.Length > 0)
        {
            request.Headers.Add("Cookie", cookies);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    _cookies.SetCookies(uri, setCookie);
                }
            }

            var body = response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true
                ? await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)
                : default;
            var backend = response.Headers.TryGetValues("X-Backend", out var values) ? values.FirstOrDefault() : null;
            return new UserReply(response.StatusCode, body, backend, Stopwatch.GetElapsedTime(start));
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new UserReply(null, default, null, Stopwatch.GetElapsedTime(start));
        }
    }
}
