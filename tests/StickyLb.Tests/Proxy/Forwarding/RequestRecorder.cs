using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// A Kestrel backend on 127.0.0.1:0 that records every request exactly as it arrived (method, raw
/// target, every header value, body bytes) and answers 200 "ok".
/// </summary>
internal sealed class RequestRecorder : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests;

    private RequestRecorder(WebApplication app, ConcurrentQueue<RecordedRequest> requests, Uri address)
    {
        _app = app;
        _requests = requests;
        Address = address;
    }

    public Uri Address { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<RequestRecorder> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Port 0: the kernel picks a free port as it binds, so nothing can take it in between.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var requests = new ConcurrentQueue<RecordedRequest>();
        app.Run(async context =>
        {
            var request = context.Request;
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            requests.Enqueue(new RecordedRequest(
                request.Method,
                context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget,
                [.. request.Headers.SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v ?? "")))],
                body.ToArray()));
            await context.Response.WriteAsync("ok");
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new RequestRecorder(app, requests, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
