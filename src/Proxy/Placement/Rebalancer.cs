using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// <c>--rebalance FACTOR</c> (redis and replicated mode, where a move costs no session): when the backend a request is
/// pinned to has served more than FACTOR times the mean of the healthy backends' requests over the last
/// <see cref="Window"/>, the request is moved to the least loaded of the others, and the user re-pinned there. The bound
/// is the one of "Consistent Hashing with Bounded Loads" (Mirrokni, Thorup, Zadimoghaddam), HAProxy's
/// <c>hash-balance-factor</c>: a backend takes one more request only if that keeps it within FACTOR x the mean, so the
/// moves stop as soon as it is back within the bound. A client that starts a new activity (<see cref="ClientActivity"/>)
/// is moved earlier, once its backend is halfway to the bound (1.125 x the mean at 1.25): a move then takes the whole
/// activity along, where moving a client in the middle of a burst takes only what is left of it (in compare's skewed
/// phase, 4 requests a move instead of 2.5 on average, so about 40 moves keep the bound instead of 60). The requests are the gateway's own per-backend counters
/// (<see cref="BackendRequestCounters"/>), snapshotted every <see cref="Step"/>: nothing is added to a request's path
/// but the decision itself, and only for a pinned request while rebalancing is on.
/// </summary>
internal sealed class Rebalancer : IDisposable
{
    /// <summary>How far back the load is measured.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>How often the counters are snapshotted: the window's granularity.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Below this many requests in the window across the backends, nothing moves: a handful of requests says nothing
    /// about load, and the first request after a quiet spell would otherwise always be "over the mean".
    /// </summary>
    public const int MinWindowRequests = 30;

    private static readonly IReadOnlyDictionary<string, long> Empty = new Dictionary<string, long>();

    private readonly BackendRequestCounters _counters;
    private readonly DrainRegistry _drain;
    private readonly IReadOnlyDictionary<string, long>[] _ring;
    private readonly ITimer? _timer;
    private int _head;
    private volatile IReadOnlyDictionary<string, long> _oldest = Empty;

    public Rebalancer(double? factor, BackendRequestCounters counters, DrainRegistry drain, TimeProvider timeProvider)
    {
        Factor = factor;
        _counters = counters;
        _drain = drain;
        _ring = new IReadOnlyDictionary<string, long>[(int)(Window / Step)];
        Array.Fill(_ring, Empty);
        if (factor is not null)
        {
            _timer = timeProvider.CreateTimer(_ => Snapshot(), null, Step, Step);
        }
    }

    /// <summary>The bound, as a factor of the mean; null when rebalancing is off.</summary>
    public double? Factor { get; }

    /// <summary>Whether rebalancing is on.</summary>
    public bool IsOn => Factor is not null;

    /// <summary>
    /// Where a request pinned to <paramref name="pinned"/> goes instead, or null when it stays: when serving it would
    /// put <paramref name="pinned"/> over the bound (halfway to it when the request <paramref name="startsActivity"/>),
    /// the healthy, non-draining backend with the fewest requests in the window.
    /// </summary>
    public DestinationState? MoveFrom(ClusterState cluster, DestinationState pinned, bool startsActivity = false)
    {
        if (Factor is not { } bound)
        {
            return null;
        }

        var factor = startsActivity ? EarlyFactor(bound) : bound;
        var oldest = _oldest;
        var (total, backends, pinnedLoad) = (0L, 0, 0L);
        DestinationState? least = null;
        var leastLoad = long.MaxValue;
        foreach (var destination in cluster.DestinationsState.AllDestinations)
        {
            var isPinned = ReferenceEquals(destination, pinned);
            if (!isPinned && (!DestinationAvailability.IsUp(destination) || _drain.IsDraining(destination.DestinationId)))
            {
                continue;
            }

            var load = _counters.Get(destination.DestinationId) - oldest.GetValueOrDefault(destination.DestinationId);
            total += load;
            backends++;
            if (isPinned)
            {
                pinnedLoad = load;
            }
            else if (load < leastLoad)
            {
                (least, leastLoad) = (destination, load);
            }
        }

        return least is not null && total >= MinWindowRequests && IsOverBound(pinnedLoad, total, backends, factor) ? least : null;
    }

    /// <summary>Halfway from the mean to <paramref name="bound"/>: where a client starting an activity is already moved.</summary>
    internal static double EarlyFactor(double bound) => 1 + ((bound - 1) / 2);

    /// <summary>Whether one more request on a backend that served <paramref name="load"/> of <paramref name="total"/> would put it over the bound.</summary>
    internal static bool IsOverBound(long load, long total, int backends, double factor) =>
        load + 1 > factor * (total + 1) / backends;

    /// <summary>Takes the counters' snapshot that becomes the window's start in <see cref="Window"/>.</summary>
    private void Snapshot()
    {
        _ring[_head] = _counters.Snapshot();
        _head = (_head + 1) % _ring.Length;
        // The slot written next holds the oldest snapshot: Window ago.
        _oldest = _ring[_head];
    }

    public void Dispose() => _timer?.Dispose();
}
