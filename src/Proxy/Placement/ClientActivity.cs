using System.Collections.Concurrent;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// Whether a pinned client's request starts a new activity (its first after at least <see cref="Gap"/> without one) or
/// continues a burst (a page and its assets, a form post right after the page), for <see cref="Rebalancer"/>: moving a
/// client in the middle of a burst splits it across backends and moves only what is left of it, so rebalancing prefers
/// clients that start something. A client is known by a hash of its <c>Cookie</c> header (its pin and session cookie);
/// nothing is kept but that hash and a timestamp, and only while rebalancing is on. A collision only makes a client
/// look busy.
/// </summary>
internal sealed class ClientActivity(TimeProvider timeProvider)
{
    /// <summary>How long a client must have been quiet for its next request to start a new activity.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(250);

    /// <summary>The most clients remembered; past it the table starts again empty (every client then looks new once).</summary>
    public const int MaxClients = 100_000;

    private readonly ConcurrentDictionary<int, long> _lastSeen = new();
    private int _added;

    /// <summary>Records a request of the client whose cookies are <paramref name="cookies"/>; true when it starts a new activity.</summary>
    public bool Touch(Microsoft.Extensions.Primitives.StringValues cookies)
    {
        var key = Key(cookies);
        var now = timeProvider.GetTimestamp();
        if (_lastSeen.TryGetValue(key, out var last))
        {
            _lastSeen[key] = now;
            return timeProvider.GetElapsedTime(last, now) >= Gap;
        }

        if (Interlocked.Increment(ref _added) > MaxClients)
        {
            _lastSeen.Clear();
            Interlocked.Exchange(ref _added, 0);
        }

        _lastSeen[key] = now;
        return true;
    }

    private static int Key(Microsoft.Extensions.Primitives.StringValues cookies)
    {
        if (cookies.Count == 1)
        {
            return string.GetHashCode(cookies[0].AsSpan());
        }

        var hash = default(HashCode);
        foreach (var cookie in cookies)
        {
            hash.Add(string.GetHashCode(cookie.AsSpan()));
        }

        return hash.ToHashCode();
    }
}
