using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;

namespace StickyLb.Tests.Infrastructure;

/// <summary>A simulated browser: its own cookie jar, talking to the gateway.</summary>
internal sealed class UserClient : IDisposable
{
    private readonly Uri _gateway;

    public UserClient(Uri gateway)
    {
        _gateway = gateway;
        Http = new HttpClient(new SocketsHttpHandler { CookieContainer = Cookies, UseProxy = false })
        {
            BaseAddress = gateway,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public CookieContainer Cookies { get; } = new();

    public HttpClient Http { get; }

    /// <summary>The value of the <c>server</c> cookie in the jar, or null.</summary>
    public string? ServerCookie => Cookies.GetCookies(_gateway)["server"]?.Value;

    public async Task<WhoAmIResponse> WhoAmIAsync()
    {
        using var response = await Http.GetAsync("/whoami");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<WhoAmIResponse>())!;
    }

    public async Task<WhoAmIResponse> LoginAsync(string user)
    {
        using var response = await Http.PostAsJsonAsync("/login", new { user });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<WhoAmIResponse>())!;
    }

    public void Dispose() => Http.Dispose();
}
