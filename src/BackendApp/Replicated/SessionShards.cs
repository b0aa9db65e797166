using System.Globalization;
using System.Text;
using Akka.DistributedData;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Where a session lives in the replicated data: a 64-bit hash of its key, in one of many shards.
/// </summary>
/// <remarks>
/// Two rules keep replication alive (both measured; see the README's replicated section):
/// a dictionary keyed by <c>string</c> serializes its entries in hash order, and string hashes differ
/// per process, so the nodes' digests never match and full-state gossip runs forever: the key is a
/// hash that is the same in every process (FNV-1a). And gossip repairs a whole top-level entry at a
/// time, so the sessions are spread over many small dictionaries instead of one big one.
/// </remarks>
internal sealed class SessionShards
{
    private const ulong FnvOffsetBasis = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    /// <summary>The name of every shard key starts with this.</summary>
    public const string Prefix = "sessions-";

    private readonly LWWDictionaryKey<long, byte[]>[] _keys;

    public SessionShards(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _keys = [.. Enumerable.Range(0, count).Select(i => new LWWDictionaryKey<long, byte[]>(Prefix + i.ToString(CultureInfo.InvariantCulture)))];
    }

    /// <summary>Every shard's key.</summary>
    public IReadOnlyList<LWWDictionaryKey<long, byte[]>> Keys => _keys;

    /// <summary>The shard and the entry key of the session <paramref name="sessionKey"/>.</summary>
    public (LWWDictionaryKey<long, byte[]> Shard, long Entry) Locate(string sessionKey)
    {
        var hash = Hash(sessionKey);
        return (_keys[(int)(hash % (ulong)_keys.Length)], unchecked((long)hash));
    }

    /// <summary>64-bit FNV-1a of the key's UTF-8 bytes: the same in every process and on every machine.</summary>
    public static ulong Hash(string key)
    {
        var hash = FnvOffsetBasis;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(key) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(key, buffer)] : Encoding.UTF8.GetBytes(key);
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * FnvPrime);
        }

        return hash;
    }
}
