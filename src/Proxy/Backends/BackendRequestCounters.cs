using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace StickyLb.Proxy.Backends;

/// <summary>Requests proxied to each backend, for the admin API. Lock-free after a backend's first request.</summary>
internal sealed class BackendRequestCounters
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _counts = new(StringComparer.OrdinalIgnoreCase);

    public void Increment(string destinationId)
    {
        if (!_counts.TryGetValue(destinationId, out var count))
        {
            count = _counts.GetOrAdd(destinationId, static _ => new StrongBox<long>());
        }

        Interlocked.Increment(ref count.Value);
    }

    public long Get(string destinationId) =>
        _counts.TryGetValue(destinationId, out var count) ? Volatile.Read(ref count.Value) : 0;

    /// <summary>Every backend's count, by id.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        _counts.ToDictionary(pair => pair.Key, pair => Volatile.Read(ref pair.Value.Value), StringComparer.OrdinalIgnoreCase);
}
