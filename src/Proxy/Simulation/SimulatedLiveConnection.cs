using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace StickyLb.Proxy.Simulation;

/// <summary>
/// A simulated user's live connection to the backends' hub (<c>/hubs/live</c>) through the gateway, with
/// Microsoft's SignalR .NET client: WebSockets after a negotiate, with the user's own cookie jar, so the
/// <c>server</c> pin applies to both requests as it would in a browser. No automatic reconnect: when its
/// backend dies the connection closes (<see cref="Closed"/>) and the user opens a new one.
/// </summary>
internal sealed class SimulatedLiveConnection : IAsyncDisposable
{
    /// <summary>The hub's path on every backend.</summary>
    public const string HubPath = "/hubs/live";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly HubConnection _connection;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SimulatedLiveConnection(HubConnection connection)
    {
        _connection = connection;
        connection.Closed += _ =>
        {
            _closed.TrySetResult();
            return Task.CompletedTask;
        };
    }

    /// <summary>The backend the connection lives on, as the hub said.</summary>
    public string Backend { get; private set; } = "";

    /// <summary>Completes when the connection has closed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Opens a connection through <paramref name="gateway"/>; null when it cannot be opened.</summary>
    public static async Task<SimulatedLiveConnection?> OpenAsync(Uri gateway, CookieContainer cookies, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, HubPath), HttpTransportType.WebSockets, options => options.Cookies = cookies)
            .Build();
        var live = new SimulatedLiveConnection(connection);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await connection.StartAsync(timeout.Token);
            live.Backend = await connection.InvokeAsync<string>("WhoAmI", timeout.Token);
            return live;
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            await connection.DisposeAsync();
            return null;
        }
    }

    /// <summary>The connection's count after one more (1, 2, 3...); null when the connection cannot answer.</summary>
    public async Task<int?> IncrementAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await _connection.InvokeAsync<int>("Increment", timeout.Token);
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>Whether the connection closes within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosesWithinAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Closed.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    // The client reports a connection it could not make or keep in several ways: the negotiate's HTTP error,
    // an aggregate of transport failures, a WebSocket error, a closed connection, or its own timeout.
    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or WebSocketException or AggregateException or InvalidOperationException or IOException or HubException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}
