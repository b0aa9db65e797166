using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A web app that is not BackendApp, as a user puts behind the gateway: Kestrel in the test process on a free
/// loopback port, with no <c>/healthz</c>. <c>GET /</c> answers 200 (or, with <c>redirectRoot</c>, 302 to
/// <c>/app</c>, as an app whose home page sends you to log in), <c>GET /app</c> answers its name; anything else
/// is 404. Every answer carries <c>X-App</c>; requests are counted by path. <see cref="StopAsync"/> is its crash
/// as the gateway sees one: connections refused from then on.
/// </summary>
internal sealed class PlainApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private int _stopped;

    private PlainApp(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>The address without the trailing slash, as the gateway prints and reports it.</summary>
    public string Url => Address.ToString().TrimEnd('/');

    public static async Task<PlainApp> StartAsync(string name, bool redirectRoot = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Port 0: the kernel picks a free port as it binds, so nothing can take it in between.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var plain = new PlainApp(app, name);
        app.Use((context, next) =>
        {
            plain._requests.AddOrUpdate(context.Request.Path.Value ?? "", 1, (_, n) => n + 1);
            context.Response.Headers["X-App"] = name;
            return next(context);
        });
        app.MapGet("/", () => redirectRoot ? Results.Redirect("/app") : Results.Text($"app {name}"));
        app.MapGet("/app", () => Results.Text(name));
        await app.StartAsync();
        plain.Address = new Uri(app.Urls.Single());
        return plain;
    }

    /// <summary>How many requests for <paramref name="path"/> it has received.</summary>
    public int Requests(string path) => _requests.GetValueOrDefault(path);

    /// <summary>Stops listening and closes its connections.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(cancel.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
