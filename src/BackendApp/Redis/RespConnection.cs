using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// One multiplexed, pipelined connection to a Redis-protocol server (redis-server, Garnet), shared by
/// the whole process. Commands from any thread are written in order under a short lock, and their
/// replies matched in order by a single reader. A broken, closed or stalled connection fails the
/// commands waiting on it with <see cref="RespConnectionException"/>; the next command reconnects by itself.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _commandTimeout;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Session? _session;
    private bool _disposed;

    /// <param name="endpoint"><c>host:port</c>.</param>
    /// <param name="connectTimeout">How long a connect may take.</param>
    /// <param name="commandTimeout">How long a reply may take before the connection is considered stalled and dropped.</param>
    public RespConnection(string endpoint, TimeSpan connectTimeout, TimeSpan commandTimeout)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out _port))
        {
            throw new ArgumentException($"Expected host:port, got '{endpoint}'.", nameof(endpoint));
        }

        _host = endpoint[..colon].Trim('[', ']');
        Endpoint = endpoint;
        _connectTimeout = connectTimeout;
        _commandTimeout = commandTimeout;
    }

    /// <summary>The server's <c>host:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Sends one command and returns its reply (an error reply is returned, not thrown).</summary>
    public async Task<RespValue> ExecuteAsync(ReadOnlyMemory<byte>[] command, CancellationToken cancellationToken)
    {
        var replies = await ExecuteAsync([command], cancellationToken);
        return replies[0];
    }

    /// <summary>Sends several commands in one write (a pipeline) and returns their replies in order.</summary>
    public async Task<RespValue[]> ExecuteAsync(IReadOnlyList<ReadOnlyMemory<byte>[]> commands, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Session session;
        var replies = new Task<RespValue>[commands.Count];
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            session = _session is { IsAlive: true } current ? current : await ConnectAsync(cancellationToken);
            foreach (var (command, i) in commands.Select((c, i) => (c, i)))
            {
                replies[i] = session.Enqueue(command);
            }

            await session.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }

        try
        {
            return await Task.WhenAll(replies).WaitAsync(_commandTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The server has stopped answering (hung, or gone without closing the socket): drop the
            // connection so that the next command starts afresh instead of queueing behind this one.
            var stalled = new RespConnectionException($"The store at {Endpoint} did not answer within {_commandTimeout.TotalSeconds:0.#} s.");
            session.Fail(stalled);
            throw stalled;
        }
    }

    /// <summary>Whether the server answers <c>PING</c> within <paramref name="timeout"/>; never throws for a store that is down.</summary>
    public async Task<bool> AnswersPingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return (await ExecuteAsync(RespProtocol.Command("PING"), deadline.Token)).Type == RespType.SimpleString;
        }
        catch (Exception ex) when (ex is RespConnectionException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task<Session> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(_host, _port, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            socket.Dispose();
            var reason = ex is SocketException socketError ? socketError.SocketErrorCode.ToString() : "timed out";
            throw new RespConnectionException($"Cannot connect to the store at {Endpoint}: {reason}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _session = new Session(socket, Endpoint);
        return _session;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _writeGate.WaitAsync();
        try
        {
            _session?.Fail(new RespConnectionException("The connection was closed."));
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>One TCP connection: its writer, its reader loop and the replies it still owes.</summary>
    private sealed class Session
    {
        private readonly Socket _socket;
        private readonly string _endpoint;
        private readonly PipeWriter _output;
        private readonly PipeReader _input;
        private readonly ConcurrentQueue<TaskCompletionSource<RespValue>> _pending = new();
        private Exception? _failure;

        public Session(Socket socket, string endpoint)
        {
            _socket = socket;
            _endpoint = endpoint;
            var stream = new NetworkStream(socket, ownsSocket: true);
            _output = PipeWriter.Create(stream);
            _input = PipeReader.Create(stream);
            _ = ReadRepliesAsync();
        }

        public bool IsAlive => Volatile.Read(ref _failure) is null;

        /// <summary>Writes a command into the buffer; called under the connection's write gate.</summary>
        public Task<RespValue> Enqueue(ReadOnlyMemory<byte>[] command)
        {
            var reply = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending.Enqueue(reply);
            RespProtocol.WriteCommand(_output, command);
            return reply.Task;
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _output.FlushAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                // A half-written command leaves the stream unusable, whatever the reason.
                Fail(ex as RespConnectionException ?? new RespConnectionException($"Writing to the store at {_endpoint} failed: {ex.Message}", ex));
                throw _failure!;
            }

            if (!IsAlive)
            {
                // The reader failed while this command was being written: it will never be answered.
                FailPending();
            }
        }

        public void Fail(Exception failure)
        {
            if (Interlocked.CompareExchange(ref _failure, failure, null) is null)
            {
                _socket.Dispose();
            }

            FailPending();
        }

        private void FailPending()
        {
            while (_pending.TryDequeue(out var reply))
            {
                reply.TrySetException(_failure!);
            }
        }

        private async Task ReadRepliesAsync()
        {
            try
            {
                while (true)
                {
                    var result = await _input.ReadAsync();
                    var buffer = result.Buffer;
                    while (RespProtocol.TryRead(ref buffer, out var value))
                    {
                        if (!_pending.TryDequeue(out var reply))
                        {
                            throw new RespConnectionException($"The store at {_endpoint} sent a reply nobody asked for.");
                        }

                        reply.TrySetResult(value);
                    }

                    _input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        throw new RespConnectionException($"The store at {_endpoint} closed the connection.");
                    }
                }
            }
            catch (Exception ex)
            {
                Fail(ex as RespConnectionException ?? new RespConnectionException($"The connection to the store at {_endpoint} broke: {ex.Message}", ex));
            }
        }
    }
}
