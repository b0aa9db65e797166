using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// One keep-alive HTTP/1.1 connection to a backend: it sends a request head (and a body of known
/// length), reads the response head into its own buffer, copies the headers to the client's response
/// and the body straight into Kestrel's output pipe. Content-Length, chunked and read-until-close
/// bodies are understood; the connection goes back to its pool only when the response ended cleanly.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    private const int BufferSize = 16 * 1024;
    private const int MaxHeadSize = 64 * 1024;
    private const int MaxChunkLine = 1024;

    private readonly Socket _socket;
    private readonly string?[] _values = new string?[Http1ResponseHeaders.Names.Length];
    private byte[] _buffer = new byte[BufferSize];
    private int _start;
    private int _end;
    private long _timeoutMs;
    private long _deadline;
    private volatile bool _timedOut;
    private int _disposed;

    public Http1Connection(Socket socket) => _socket = socket;

    /// <summary>True once a request has been sent on it: a failure before any answer may then be a stale keep-alive.</summary>
    public bool Used { get; private set; }

    /// <summary>When it went back to its pool (<see cref="Environment.TickCount64"/>).</summary>
    public long IdleSince { get; set; }

    /// <summary>When the exchange in flight times out without activity; 0 while idle.</summary>
    public long Deadline => Volatile.Read(ref _deadline);

    public bool TimedOut => _timedOut;

    /// <summary>True once the socket is closed: by the sweep, a client abort or a failure.</summary>
    public bool Closed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Whether an idle connection still looks usable: the backend has neither closed it nor sent
    /// anything unasked. One poll, paid only before a request whose body could not be sent again.
    /// </summary>
    public bool LooksAlive()
    {
        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public Task ConnectAsync(EndPoint endPoint) => _socket.ConnectAsync(endPoint);

    /// <summary>Starts the activity timer of an exchange: no byte from the backend for this long ends it.</summary>
    public void Start(TimeSpan activityTimeout)
    {
        _timeoutMs = (long)activityTimeout.TotalMilliseconds;
        Touch();
    }

    public void Stop() => Volatile.Write(ref _deadline, 0);

    /// <summary>Called by the pool's sweep: the exchange in flight failed to make progress in time.</summary>
    public void TimeOut()
    {
        _timedOut = true;
        Dispose();
    }

    /// <summary>Ends the exchange in flight (the client went away); its pending I/O fails.</summary>
    public void Abort() => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    private void Touch() => Volatile.Write(ref _deadline, Environment.TickCount64 + _timeoutMs);

    /// <summary>
    /// Sends the request head and a body of <paramref name="requestBodyLength"/> bytes; throws
    /// <see cref="ForwardingFailure"/>. Completes synchronously when the socket takes it all at once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendRequestAsync(HttpContext context, ReadOnlyMemory<byte> head, long requestBodyLength)
    {
        var reused = Used;
        Used = true;
        try
        {
            await WriteAsync(head);
        }
        catch (Exception ex)
        {
            throw new ForwardingFailure(ForwarderError.Request, "Sending the request failed.", ex, canRetry: reused);
        }

        if (requestBodyLength > 0)
        {
            await SendBodyAsync(context.Request.BodyReader, requestBodyLength);
        }
    }

    /// <summary>
    /// Takes the response head from the bytes received so far: copies its status and headers to
    /// <paramref name="context"/> and returns true with the body's framing, or returns false when more
    /// bytes are needed (<see cref="ReceiveAsync"/>). Interim responses (100 Continue, 103 Early Hints)
    /// are skipped; after one the request can no longer be sent again (<paramref name="canRetry"/>).
    /// Throws <see cref="ForwardingFailure"/>.
    /// </summary>
    /// <remarks>
    /// The read loop itself is the caller's, so that one async method per request, not two, waits for
    /// the backend: each one that waits costs a state machine box.
    /// </remarks>
    public bool TryTakeResponseHead(HttpContext context, ref bool canRetry, out Http1ResponseFraming framing)
    {
        while (true)
        {
            var headLength = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (headLength < 0)
            {
                MakeRoomForHead();
                framing = default;
                return false;
            }

            headLength += 4;
            var status = Http1ResponseHead.ReadStatus(_buffer.AsSpan(_start, headLength));
            if (status >= 200)
            {
                var isHead = HttpMethods.IsHead(context.Request.Method);
                framing = Http1ResponseHead.Apply(context, _buffer.AsSpan(_start, headLength), isHead, _values);
                _start += headLength;
                return true;
            }

            if (status == StatusCodes.Status101SwitchingProtocols)
            {
                throw new ForwardingFailure(ForwarderError.Request, "The backend switched protocols on a request that did not ask for it.");
            }

            _start += headLength;
            canRetry = false;
        }
    }

    /// <summary>Receives more of the response head, after <see cref="TryTakeResponseHead"/> returned false.</summary>
    public ValueTask<int> ReceiveAsync() => _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);

    /// <summary>Accounts for what <see cref="ReceiveAsync"/> returned; throws <see cref="ForwardingFailure"/> when the backend closed.</summary>
    public void Received(int count, ref bool canRetry)
    {
        if (count == 0)
        {
            throw new ForwardingFailure(ForwarderError.Request, "The backend closed the connection before it answered.", canRetry: canRetry && _end == _start);
        }

        _end += count;
        canRetry = false;
        Touch();
    }

    /// <summary>
    /// Copies the response body to the client. Returns whether the connection can carry another
    /// request; throws <see cref="ForwardingFailure"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> CopyBodyAsync(HttpContext context, Http1ResponseFraming framing)
    {
        var keepAlive = framing.KeepAlive;
        switch (framing.Body)
        {
            case Http1BodyKind.None:
                break;
            case Http1BodyKind.ContentLength:
                await CopyFixedAsync(context.Response.BodyWriter, framing.ContentLength);
                break;
            case Http1BodyKind.Chunked:
                await CopyChunkedAsync(context.Response.BodyWriter);
                break;
            case Http1BodyKind.UntilClose:
                await CopyUntilCloseAsync(context.Response.BodyWriter);
                keepAlive = false;
                break;
            default:
                throw new UnreachableException($"Unknown body framing {framing.Body}.");
        }

        if (_start != _end)
        {
            // Bytes after the end of the response: the backend is not speaking HTTP/1.1 as agreed.
            return false;
        }

        _start = _end = 0;
        return keepAlive;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBodyAsync(PipeReader body, long length)
    {
        var remaining = length;
        while (remaining > 0)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync();
            }
            catch (Exception ex)
            {
                throw new ForwardingFailure(ForwarderError.RequestBodyClient, "Reading the request body from the client failed.", ex);
            }

            var buffer = result.Buffer;
            if (buffer.Length > remaining)
            {
                buffer = buffer.Slice(0, remaining);
            }

            try
            {
                foreach (var segment in buffer)
                {
                    await WriteAsync(segment);
                }
            }
            catch (Exception ex)
            {
                throw new ForwardingFailure(ForwarderError.RequestBodyDestination, "Sending the request body failed.", ex);
            }

            remaining -= buffer.Length;
            body.AdvanceTo(buffer.End);
            if (remaining > 0 && (result.IsCompleted || result.IsCanceled))
            {
                throw new ForwardingFailure(ForwarderError.RequestBodyClient, "The client sent less than its Content-Length.");
            }
        }

        Touch();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyFixedAsync(PipeWriter client, long length)
    {
        var remaining = length - WriteBuffered(client, length);
        var flushed = false;
        while (remaining > 0)
        {
            await FlushAsync(client);
            var received = await ReceiveBodyAsync(ClientMemory(client, remaining));
            if (received == 0)
            {
                throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "The backend closed the connection before the end of the body.");
            }

            client.Advance(received);
            remaining -= received;
            flushed = true;
        }

        if (flushed)
        {
            // Once a response has started, Kestrel does not flush the rest of it when the request ends.
            await FlushAsync(client);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyChunkedAsync(PipeWriter client)
    {
        var unflushed = false;
        var flushed = false;
        while (true)
        {
            int lineLength;
            while ((lineLength = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                if (_end - _start > MaxChunkLine)
                {
                    throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "A chunk-size line of the response is too long.");
                }

                flushed |= unflushed;
                unflushed = await FlushIfNeededAsync(client, unflushed);
                await FillAsync();
            }

            var size = ReadChunkSize(_buffer.AsSpan(_start, lineLength));
            _start += lineLength + 2;
            if (size == 0)
            {
                await SkipTrailersAsync();
                if (flushed && unflushed)
                {
                    await FlushAsync(client);
                }

                return;
            }

            var remaining = size;
            while (remaining > 0)
            {
                var written = WriteBuffered(client, remaining);
                if (written > 0)
                {
                    remaining -= written;
                    unflushed = true;
                    continue;
                }

                flushed |= unflushed;
                unflushed = await FlushIfNeededAsync(client, unflushed);
                var received = await ReceiveBodyAsync(ClientMemory(client, remaining));
                if (received == 0)
                {
                    throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "The backend closed the connection inside a chunk.");
                }

                client.Advance(received);
                remaining -= received;
                unflushed = true;
            }

            while (_end - _start < 2)
            {
                flushed |= unflushed;
                unflushed = await FlushIfNeededAsync(client, unflushed);
                await FillAsync();
            }

            if (_buffer[_start] != (byte)'\r' || _buffer[_start + 1] != (byte)'\n')
            {
                throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "A chunk of the response does not end with CRLF.");
            }

            _start += 2;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipTrailersAsync()
    {
        while (true)
        {
            int lineLength;
            while ((lineLength = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                if (_end - _start > MaxChunkLine * 8)
                {
                    throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "The response's trailers are too long.");
                }

                await FillAsync();
            }

            _start += lineLength + 2;
            if (lineLength == 0)
            {
                return;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyUntilCloseAsync(PipeWriter client)
    {
        WriteBuffered(client, long.MaxValue);
        while (true)
        {
            await FlushAsync(client);
            var received = await ReceiveBodyAsync(ClientMemory(client, long.MaxValue));
            if (received == 0)
            {
                return;
            }

            client.Advance(received);
        }
    }

    /// <summary>Room in the client's output for at most <paramref name="limit"/> bytes of the body, received into it directly.</summary>
    private static Memory<byte> ClientMemory(PipeWriter client, long limit)
    {
        var memory = client.GetMemory();
        return memory.Length > limit ? memory[..(int)limit] : memory;
    }

    /// <summary>Copies up to <paramref name="limit"/> bytes already read from the backend to the client.</summary>
    private int WriteBuffered(PipeWriter client, long limit)
    {
        var count = (int)Math.Min(_end - _start, limit);
        if (count > 0)
        {
            client.Write(_buffer.AsSpan(_start, count));
            _start += count;
        }

        return count;
    }

    private static long ReadChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon >= 0 ? line[..semicolon] : line).Trim(" \t"u8);
        if (digits.Length is 0 or > 15 || !Utf8Parser.TryParse(digits, out long size, out var consumed, 'x') || consumed != digits.Length)
        {
            throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "A chunk size of the response is not valid.");
        }

        return size;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> FlushIfNeededAsync(PipeWriter client, bool unflushed)
    {
        if (unflushed)
        {
            await FlushAsync(client);
        }

        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask FlushAsync(PipeWriter client)
    {
        FlushResult result;
        try
        {
            result = await client.FlushAsync();
        }
        catch (Exception ex)
        {
            throw new ForwardingFailure(ForwarderError.ResponseBodyClient, "Writing the response to the client failed.", ex);
        }

        if (result.IsCompleted || result.IsCanceled)
        {
            throw new ForwardingFailure(ForwarderError.ResponseBodyClient, "The client went away during the response.");
        }
    }

    /// <summary>Reads more of the body into the connection's own buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Compact();
        }

        var received = await ReceiveBodyAsync(_buffer.AsMemory(_end));
        if (received == 0)
        {
            throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "The backend closed the connection before the end of the body.");
        }

        _end += received;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveBodyAsync(Memory<byte> memory)
    {
        int received;
        try
        {
            received = await _socket.ReceiveAsync(memory, SocketFlags.None);
        }
        catch (Exception ex)
        {
            throw new ForwardingFailure(ForwarderError.ResponseBodyDestination, "Reading the response body failed.", ex);
        }

        Touch();
        return received;
    }

    private void MakeRoomForHead()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            Compact();
            return;
        }

        if (_buffer.Length >= MaxHeadSize)
        {
            throw new ForwardingFailure(ForwarderError.Request, $"The response head is larger than {MaxHeadSize} bytes.");
        }

        var larger = new byte[_buffer.Length * 2];
        _buffer.AsSpan(0, _end).CopyTo(larger);
        _buffer = larger;
    }

    private void Compact()
    {
        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
    }
}
