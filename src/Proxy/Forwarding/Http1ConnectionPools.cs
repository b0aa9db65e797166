using System.Collections.Concurrent;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// One <see cref="Http1ConnectionPool"/> per destination prefix, and the one timer that sweeps them
/// all: a request costs no timer or cancellation source of its own for its activity timeout.
/// </summary>
internal sealed class Http1ConnectionPools : IDisposable
{
    /// <summary>How long a connection may sit idle before it is closed (HttpClient's default).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>How often timeouts are checked: an activity timeout fires up to this much late.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, Http1ConnectionPool?> _pools = new(StringComparer.Ordinal);
    private readonly Timer _sweep;

    public Http1ConnectionPools()
    {
        _sweep = new Timer(static state => ((Http1ConnectionPools)state!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    /// <summary>The pool for a destination prefix, or null when only YARP's forwarder can reach it.</summary>
    public Http1ConnectionPool? Get(string destination) =>
        _pools.TryGetValue(destination, out var pool)
            ? pool
            : _pools.GetOrAdd(destination, static d => Http1ConnectionPool.TryCreate(d, IdleTimeout));

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var pool in _pools.Values)
        {
            pool?.Sweep(now);
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool?.Close();
        }
    }
}
