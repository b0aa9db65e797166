using System.Collections.Concurrent;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// Which backends just came up, and how far their slow start has gone: a backend the gateway saw down and then up
/// ramps from <see cref="PlacementDefaults.MinSlowStartWeight"/> to its full weight over the slow start, linearly, as
/// HAProxy's <c>slowstart</c> ramps a recovered server's weight, so that a backend that restarted empty is not handed
/// every new session at once. Backends that are up when the gateway starts are in full service at once (nobody is
/// stampeding them: they all start empty together). The gateway learns of a backend going down and up from its
/// supervisor (<see cref="DestinationHealthSignal"/>) and from YARP's health flags, which every placement looks at.
/// </summary>
internal sealed class SlowStart(TimeProvider timeProvider, TimeSpan duration)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a backend ramps; zero turns slow start off.</summary>
    public TimeSpan Duration => duration;

    /// <summary>Records that backend <paramref name="id"/> is down (killed, or its health says so).</summary>
    public void WentDown(string id) => _entries[id] = Entry.Down;

    /// <summary>Records that backend <paramref name="id"/> is up: its slow start begins if it was down.</summary>
    public void CameUp(string id)
    {
        if (_entries.TryGetValue(id, out var entry) && entry.IsDown)
        {
            _entries[id] = new Entry(false, timeProvider.GetTimestamp());
        }
    }

    /// <summary>Looks at the health of every destination of <paramref name="cluster"/>: O(destinations), no allocation.</summary>
    public void Observe(ClusterState cluster)
    {
        foreach (var destination in cluster.DestinationsState.AllDestinations)
        {
            if (!DestinationAvailability.IsUp(destination))
            {
                if (!_entries.TryGetValue(destination.DestinationId, out var entry) || !entry.IsDown)
                {
                    WentDown(destination.DestinationId);
                }
            }
            else
            {
                CameUp(destination.DestinationId);
            }
        }
    }

    /// <summary>The share of its full weight backend <paramref name="id"/> has now: 1 unless it is in its slow start.</summary>
    public double Weight(string id)
    {
        if (duration <= TimeSpan.Zero || !_entries.TryGetValue(id, out var entry) || entry.IsDown || entry.UpSince == 0)
        {
            return 1;
        }

        var ramp = timeProvider.GetElapsedTime(entry.UpSince) / duration;
        return ramp >= 1 ? 1 : Math.Max(PlacementDefaults.MinSlowStartWeight, ramp);
    }

    /// <param name="IsDown">Seen down, not yet up again.</param>
    /// <param name="UpSince">The timestamp it came up at (<see cref="TimeProvider.GetTimestamp"/>); 0 when never down.</param>
    private readonly record struct Entry(bool IsDown, long UpSince)
    {
        public static readonly Entry Down = new(true, 0);
    }
}
