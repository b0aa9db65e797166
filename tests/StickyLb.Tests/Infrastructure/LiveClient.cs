using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// One live connection to BackendApp's hub through the gateway, with Microsoft's SignalR .NET client and
/// one transport only, its cookies in the jar it is given (the <c>server</c> pin applies to the
/// negotiate, the WebSocket, the event stream and every poll). No automatic reconnect: when its backend
/// dies the connection closes, and <see cref="Closed"/> says when.
/// </summary>
internal sealed class LiveClient(HubConnection connection) : IAsyncDisposable
{
    private readonly TaskCompletionSource<long> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The hub's path on every backend.</summary>
    public const string HubPath = "/hubs/live";

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp at which the connection closed.</summary>
    public Task<long> Closed => _closed.Task;

    public HubConnectionState State => connection.State;

    /// <summary>Connects through <paramref name="gateway"/>; throws when the connection cannot be made within <paramref name="timeout"/>.</summary>
    public static Task<LiveClient> ConnectAsync(Uri gateway, HttpTransportType transport, CookieContainer cookies, TimeSpan timeout) =>
        ConnectAsync(gateway, transport, cookies, timeout, configure: null);

    /// <summary>As <see cref="ConnectAsync(Uri, HttpTransportType, CookieContainer, TimeSpan)"/>, with the client's options set further by <paramref name="configure"/>.</summary>
    public static async Task<LiveClient> ConnectAsync(Uri gateway, HttpTransportType transport, CookieContainer cookies, TimeSpan timeout, Action<HttpConnectionOptions>? configure)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, HubPath), transport, options =>
            {
                options.Cookies = cookies;
                configure?.Invoke(options);
            })
            .Build();
        // The client's own ServerTimeout stays at its default (30 s): a close within 2 s of a kill is the
        // gateway closing the connection, never the client giving up on a silent server.
        var client = new LiveClient(connection);
        connection.Closed += _ =>
        {
            client._closed.TrySetResult(Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        };
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await connection.StartAsync(cancel.Token);
            return client;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task<int> IncrementAsync() => connection.InvokeAsync<int>("Increment");

    public Task<string> WhoAmIAsync() => connection.InvokeAsync<string>("WhoAmI");

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
