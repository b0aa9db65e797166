using System.Runtime.CompilerServices;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The plaintext stream of one HTTP/1.x backend connection of a <see cref="BackendLane"/>, as HttpClient reads and
/// writes it (SocketsHttpHandler's <c>PlaintextStreamFilter</c>), watching one thing: a byte that arrives while no
/// request is outstanding on it. From the end of a request's answer until the next request is written, nothing may
/// arrive; HttpClient reads ahead on an idle connection and just before it reuses one, and those reads are where
/// such bytes show. They fail with an <see cref="IOException"/> instead of reaching HttpClient (which then drops
/// the connection and, for a request not yet answered, sends it again on a new one), and the lane's pool hears of
/// it. It knows nothing of HTTP: it only sees which came first, a write or a byte.
/// </summary>
internal sealed class UnaskedBytesStream(Stream inner, BackendLane lane) : Stream
{
    // Whether a request was written since the last one was answered; false on a new connection.
    private volatile bool _asked;

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>The request on this connection has been answered: from now until the next write, nothing may arrive.</summary>
    public void ExpectNothing() => _asked = false;

    public override int Read(byte[] buffer, int offset, int count) => Checked(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Checked(inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(buffer, cancellationToken);
        if (!read.IsCompletedSuccessfully)
        {
            return CheckedAsync(read);
        }

        var count = read.Result;
        return IsUnasked(count) ? ValueTask.FromException<int>(Unasked()) : new ValueTask<int>(count);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _asked = true;
        inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _asked = true;
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        _asked = true;
        return inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _asked = true;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // Pooled: every answer a backend takes time to send comes through here.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> CheckedAsync(ValueTask<int> read) => Checked(await read.ConfigureAwait(false));

    private int Checked(int count) => IsUnasked(count) ? throw Unasked() : count;

    // Zero bytes is a zero-byte read's answer or the end of the stream, never something the backend said.
    private bool IsUnasked(int count) => count > 0 && !_asked;

    private IOException Unasked()
    {
        lane.Pool.SawUnaskedBytes();
        return new IOException("The backend sent bytes on a connection with no request outstanding; the connection is dropped.");
    }
}
