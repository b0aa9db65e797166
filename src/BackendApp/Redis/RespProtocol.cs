using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace StickyLb.BackendApp.Redis;

/// <summary>RESP2 framing: commands out as arrays of bulk strings, replies in.</summary>
public static class RespProtocol
{
    private static readonly byte[] CrLf = "\r\n"u8.ToArray();

    /// <summary>Encodes one command, for example <c>["HMGET", key, "data"]</c>.</summary>
    public static void WriteCommand(IBufferWriter<byte> output, IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        WriteHeader(output, (byte)'*', arguments.Count);
        foreach (var argument in arguments)
        {
            WriteHeader(output, (byte)'$', argument.Length);
            output.Write(argument.Span);
            output.Write(CrLf);
        }
    }

    /// <summary>Builds a command from text and byte arguments.</summary>
    public static ReadOnlyMemory<byte>[] Command(params object[] arguments) =>
        [.. arguments.Select(a => a switch
        {
            string s => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(s),
            byte[] b => b,
            ReadOnlyMemory<byte> m => m,
            long l => Encoding.ASCII.GetBytes(l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            int i => Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Unsupported RESP argument type {a.GetType()}.", nameof(arguments)),
        })];

    /// <summary>
    /// Reads one complete reply from the front of <paramref name="buffer"/> and slices it off; false
    /// (and <paramref name="buffer"/> untouched) when the reply is not complete yet.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryRead(ref reader, out value!))
        {
            return false;
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static bool TryRead(ref SequenceReader<byte> reader, out RespValue? value)
    {
        value = null;
        if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySequence<byte> line, CrLf))
        {
            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
                value = RespValue.Simple(Encoding.UTF8.GetString(line));
                return true;
            case (byte)'-':
                value = RespValue.Error(Encoding.UTF8.GetString(line));
                return true;
            case (byte)':':
                value = RespValue.FromInteger(ParseInteger(line));
                return true;
            case (byte)'$':
                var length = ParseInteger(line);
                if (length < 0)
                {
                    value = RespValue.Null;
                    return true;
                }

                if (reader.Remaining < length + 2)
                {
                    return false;
                }

                var bytes = new byte[length];
                reader.TryCopyTo(bytes);
                reader.Advance(length + 2);
                value = RespValue.FromBulk(bytes);
                return true;
            case (byte)'*':
                var count = ParseInteger(line);
                if (count < 0)
                {
                    value = RespValue.Null;
                    return true;
                }

                var items = new RespValue[count];
                for (var i = 0; i < count; i++)
                {
                    if (!TryRead(ref reader, out var item))
                    {
                        return false;
                    }

                    items[i] = item!;
                }

                value = RespValue.FromArray(items);
                return true;
            default:
                throw new RespConnectionException($"Not a RESP reply: unexpected byte 0x{prefix:x2}.");
        }
    }

    private static long ParseInteger(ReadOnlySequence<byte> line)
    {
        Span<byte> digits = stackalloc byte[24];
        if (line.Length > digits.Length)
        {
            throw new RespConnectionException("A RESP integer is too long.");
        }

        line.CopyTo(digits);
        return Utf8Parser.TryParse(digits[..(int)line.Length], out long value, out var consumed) && consumed == line.Length
            ? value
            : throw new RespConnectionException("A RESP integer is malformed.");
    }

    private static void WriteHeader(IBufferWriter<byte> output, byte prefix, int count)
    {
        var span = output.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(count, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(written + 3);
    }
}
