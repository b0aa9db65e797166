using System.Buffers.Binary;
using System.Text;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// One session as it is replicated: its expiry, how it slides, its own key (to tell a hash collision
/// from a hit), and the session's bytes. Encoded as one <c>byte[]</c>, which Akka serializes as it is.
/// </summary>
internal readonly record struct ReplicatedEntry(string Key, long ExpiresAtTicks, long SlidingTicks, long AbsoluteTicks, long WrittenAtTicks, byte[] Data)
{
    private const byte Version = 1;
    private const int HeaderLength = 1 + 4 * sizeof(long) + sizeof(ushort);

    /// <summary>The ticks value of an expiration that is not set.</summary>
    public const long NotSet = -1;

    public DateTimeOffset ExpiresAt => new(ExpiresAtTicks, TimeSpan.Zero);

    public bool IsExpired(DateTimeOffset now) => now.UtcTicks >= ExpiresAtTicks;

    public byte[] Encode()
    {
        var keyLength = Encoding.UTF8.GetByteCount(Key);
        var bytes = new byte[HeaderLength + keyLength + Data.Length];
        var span = bytes.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], ExpiresAtTicks);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], SlidingTicks);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], AbsoluteTicks);
        BinaryPrimitives.WriteInt64LittleEndian(span[25..], WrittenAtTicks);
        BinaryPrimitives.WriteUInt16LittleEndian(span[33..], checked((ushort)keyLength));
        Encoding.UTF8.GetBytes(Key, span[HeaderLength..]);
        Data.CopyTo(span[(HeaderLength + keyLength)..]);
        return bytes;
    }

    /// <summary>Decodes <paramref name="bytes"/>; false for anything this version did not write.</summary>
    public static bool TryDecode(byte[] bytes, out ReplicatedEntry entry)
    {
        entry = default;
        var span = bytes.AsSpan();
        if (span.Length < HeaderLength || span[0] != Version)
        {
            return false;
        }

        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(span[33..]);
        if (span.Length < HeaderLength + keyLength)
        {
            return false;
        }

        entry = new ReplicatedEntry(
            Encoding.UTF8.GetString(span.Slice(HeaderLength, keyLength)),
            BinaryPrimitives.ReadInt64LittleEndian(span[1..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[17..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[25..]),
            span[(HeaderLength + keyLength)..].ToArray());
        return true;
    }
}
