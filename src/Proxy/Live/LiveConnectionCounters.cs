using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace StickyLb.Proxy.Live;

/// <summary>
/// Live connections (WebSockets and server-sent-event streams) open through the gateway, per backend,
/// for <c>GET /api/backends</c>, the dashboard and <c>/metrics</c>. Lock-free after a backend's first one.
/// </summary>
internal sealed class LiveConnectionCounters
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counts = new(StringComparer.OrdinalIgnoreCase);

    public void Opened(string destinationId) => Interlocked.Increment(ref Count(destinationId).Value);

    public void Closed(string destinationId) => Interlocked.Decrement(ref Count(destinationId).Value);

    /// <summary>Live connections open to <paramref name="destinationId"/> now.</summary>
    public int Get(string destinationId) =>
        _counts.TryGetValue(destinationId, out var count) ? Volatile.Read(ref count.Value) : 0;

    /// <summary>Every backend's count, by id (backends that never had one are absent).</summary>
    public IReadOnlyDictionary<string, int> Snapshot() =>
        _counts.ToDictionary(pair => pair.Key, pair => Volatile.Read(ref pair.Value.Value), StringComparer.OrdinalIgnoreCase);

    private StrongBox<int> Count(string destinationId) =>
        _counts.TryGetValue(destinationId, out var count) ? count : _counts.GetOrAdd(destinationId, static _ => new StrongBox<int>());
}
