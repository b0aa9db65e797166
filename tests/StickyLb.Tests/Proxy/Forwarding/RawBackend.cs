using System.Net;
using System.Net.Sockets;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// A backend on a bare <see cref="TcpListener"/> at 127.0.0.1:0 that runs a script per accepted
/// connection, so a test chooses every byte the gateway receives (malformed heads, early closes,
/// silence). Disposing it stops the listener, closes every connection and waits for the scripts.
/// </summary>
internal sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RawConnection, Task> _script;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<RawConnection> _connections = [];
    private readonly List<Task> _scripts = [];
    private readonly Task _accepting;
    private int _open;

    private RawBackend(Func<RawConnection, Task> script)
    {
        _script = script;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The destination address to give the gateway.</summary>
    public Uri Address { get; }

    /// <summary>How many TCP connections the backend has accepted so far.</summary>
    public int AcceptedConnections
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>How many accepted connections are still open on the backend's side.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    public static RawBackend Start(Func<RawConnection, Task> script) => new(script);

    /// <summary>A backend that answers every request on a connection with the same bytes, keeping it open.</summary>
    public static RawBackend Answering(byte[] response) => Start(async connection =>
    {
        while (await connection.ReadRequestAsync() is not null)
        {
            await connection.SendAsync(response);
        }
    });

    /// <inheritdoc cref="Answering(byte[])"/>
    public static RawBackend Answering(string response) => Answering(RawConnection.Bytes(response));

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // Stopped (InvalidOperationException: stopped between two accepts).
                return;
            }

            var connection = new RawConnection(socket, _stopping.Token);
            Interlocked.Increment(ref _open);
            lock (_connections)
            {
                _connections.Add(connection);
                _scripts.Add(RunAsync(connection));
            }
        }
    }

    private async Task RunAsync(RawConnection connection)
    {
        try
        {
            await _script(connection);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The gateway closed the connection, or the test is over: either ends the script.
        }
        finally
        {
            connection.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] scripts;
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }

            scripts = [.. _scripts];
        }

        await Task.WhenAll(scripts).WaitAsync(TimeSpan.FromSeconds(10));
        _stopping.Dispose();
    }
}
