using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>One connection a <see cref="RawBackend"/> accepted: read requests, send exact bytes, close.</summary>
internal sealed class RawConnection(Socket socket, CancellationToken stopping) : IDisposable
{
    private readonly List<byte> _unread = [];
    private int _disposed;

    /// <summary>Canceled when the backend is disposed: a script that waits forever waits on this.</summary>
    public CancellationToken Stopping { get; } = stopping;

    /// <summary>Latin-1, as HTTP/1.1 heads are on the wire.</summary>
    public static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>
    /// The next request's head (up to and including the blank line) and its Content-Length body, or
    /// null when the gateway closed the connection before sending one.
    /// </summary>
    public async Task<RawRequest?> ReadRequestAsync()
    {
        if (await ReadHeadAsync() is not { } head)
        {
            return null;
        }

        return new RawRequest(head, await ReadBodyAsync(head));
    }

    /// <summary>The next request's head, up to and including the blank line; null when the gateway closed the connection first.</summary>
    public async Task<string?> ReadHeadAsync()
    {
        int end;
        while ((end = IndexOfBlankLine()) < 0)
        {
            if (!await ReceiveAsync())
            {
                return null;
            }
        }

        var head = Encoding.Latin1.GetString([.. _unread[..end]]);
        _unread.RemoveRange(0, end);
        return head;
    }

    /// <summary>The Content-Length body that follows <paramref name="head"/>.</summary>
    public async Task<byte[]> ReadBodyAsync(string head)
    {
        var length = ContentLength(head);
        while (_unread.Count < length)
        {
            if (!await ReceiveAsync())
            {
                throw new IOException("The gateway closed the connection inside a request body.");
            }
        }

        var body = _unread[..length].ToArray();
        _unread.RemoveRange(0, length);
        return body;
    }

    public async Task SendAsync(byte[] bytes) => await socket.SendAsync(bytes, SocketFlags.None, Stopping);

    public Task SendAsync(string text) => SendAsync(Bytes(text));

    /// <summary>
    /// Waits until the gateway closes its end (a read returns 0 or fails); false when it has not after
    /// <paramref name="timeout"/>. Whatever the gateway sends meanwhile is discarded.
    /// </summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        timer.CancelAfter(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timer.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the connection gracefully (FIN), as a backend that ends a keep-alive connection does.</summary>
    public void Close() => Dispose();

    /// <summary>Resets the connection (RST), as the kernel does for a process killed with a request unanswered.</summary>
    public void Crash()
    {
        socket.LingerState = new LingerOption(true, 0);
        Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            socket.Dispose();
        }
    }

    private async Task<bool> ReceiveAsync()
    {
        var buffer = new byte[16 * 1024];
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, Stopping);
        _unread.AddRange(buffer.AsSpan(0, received));
        return received > 0;
    }

    private int IndexOfBlankLine()
    {
        for (var i = 3; i < _unread.Count; i++)
        {
            if (_unread[i] == '\n' && _unread[i - 1] == '\r' && _unread[i - 2] == '\n' && _unread[i - 3] == '\r')
            {
                return i + 1;
            }
        }

        return -1;
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line[(colon + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
