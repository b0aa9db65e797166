using System.Buffers;
using System.Text;
using StickyLb.BackendApp.Redis;

namespace StickyLb.Tests.Backend.Redis;

public sealed class RespProtocolTests
{
    [Fact]
    public void ACommandIsAnArrayOfBulkStrings()
    {
        var output = new ArrayBufferWriter<byte>();

        RespProtocol.WriteCommand(output, RespProtocol.Command("HMGET", "k", new byte[] { 0, 1 }, 42L));

        Assert.Equal("*4\r\n$5\r\nHMGET\r\n$1\r\nk\r\n$2\r\n\0\u0001\r\n$2\r\n42\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("+OK\r\n", RespType.SimpleString, "OK")]
    [InlineData("-ERR wrong type\r\n", RespType.Error, "(error) ERR wrong type")]
    [InlineData(":-12\r\n", RespType.Number, "-12")]
    [InlineData("$5\r\nhello\r\n", RespType.BulkString, "hello")]
    [InlineData("$0\r\n\r\n", RespType.BulkString, "")]
    [InlineData("$-1\r\n", RespType.Null, "(nil)")]
    [InlineData("*-1\r\n", RespType.Null, "(nil)")]
    [InlineData("*3\r\n$1\r\na\r\n$-1\r\n:7\r\n", RespType.Array, "[a, (nil), 7]")]
    public void RepliesAreParsed(string wire, RespType type, string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire));

        var complete = RespProtocol.TryRead(ref buffer, out var value);

        Assert.True(complete);
        Assert.Equal((type, text), (value.Type, value.ToString()));
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("+OK")]
    [InlineData("$5\r\nhel")]
    [InlineData("$5\r\nhello\r")]
    [InlineData("*2\r\n$1\r\na\r\n")]
    public void AnIncompleteReplyWaitsForMoreBytes(string wire)
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire));
        var buffer = bytes;

        var complete = RespProtocol.TryRead(ref buffer, out _);

        Assert.False(complete);
        Assert.Equal(bytes.Length, buffer.Length);
    }

    [Fact]
    public void TwoRepliesInOneReadAreParsedOneAfterTheOther()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("+QUEUED\r\n:1\r\n"));

        Assert.True(RespProtocol.TryRead(ref buffer, out var first));
        Assert.True(RespProtocol.TryRead(ref buffer, out var second));

        Assert.Equal(("QUEUED", 1L), (first.Text, second.Number));
    }

    [Fact]
    public void GarbageIsAConnectionError()
    {
        var buffer = new ReadOnlySequence<byte>("HTTP/1.1 400\r\n"u8.ToArray());

        Assert.Throws<RespConnectionException>(() => RespProtocol.TryRead(ref buffer, out _));
    }
}
