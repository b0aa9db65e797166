using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// What <see cref="UnaskedBytesStream"/> lets through: bytes that answer a written request; what it stops: bytes that
/// arrive before any request, or after the last one was answered, which also isolate the backend.
/// </summary>
public sealed class UnaskedBytesStreamTests
{
    [Fact]
    public async Task BytesThatFollowARequestPass()
    {
        var (stream, pool) = Watched("HTTP/1.1 200 OK\r\n\r\n");

        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var read = await stream.ReadAsync(new byte[64]);

        Assert.Equal(19, read);
        Assert.False(pool.IsIsolated);
    }

    [Fact]
    public async Task BytesOnANewConnectionBeforeAnyRequestFailTheReadAndIsolateTheBackend()
    {
        var (stream, pool) = Watched("HTTP/1.1 200 OK\r\n\r\n");

        await Assert.ThrowsAsync<IOException>(async () => _ = await stream.ReadAsync(new byte[64]));
        Assert.True(pool.IsIsolated);
    }

    [Fact]
    public async Task BytesAfterTheAnswerWasCompleteFailTheReadAndIsolateTheBackend()
    {
        var (stream, pool) = Watched("HTTP/1.1 200 OK\r\n\r\nstolen");
        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        await stream.ReadExactlyAsync(new byte[19]);

        ((UnaskedBytesStream)stream).ExpectNothing();

        Assert.Throws<IOException>(() => stream.Read(new byte[64]));
        Assert.True(pool.IsIsolated);
    }

    [Fact]
    public async Task AZeroByteReadAndTheEndOfTheStreamAreNotUnaskedBytes()
    {
        var (stream, pool) = Watched("");

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(0, await stream.ReadAsync(new byte[64]));
        Assert.False(pool.IsIsolated);
    }

    private static (Stream Stream, BackendLanePool Pool) Watched(string incoming)
    {
        var pool = new BackendLanePool("2", _ => new HttpMessageInvoker(new HttpClientHandler()), null, new BackendConnectionsOptions(), new FakeTimeProvider(), _ => { });
        var lane = new BackendLane(pool, _ => new HttpMessageInvoker(new HttpClientHandler()));
        var connection = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(incoming));
        return (lane.Watch(new DuplexStream(connection), new Version(1, 1)), pool);
    }

    /// <summary>Reads from the given bytes; writes go nowhere.</summary>
    private sealed class DuplexStream(Stream incoming) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => incoming.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }
}
