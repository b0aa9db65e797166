namespace StickyLb.Proxy.Health;

/// <summary>
/// Proxied requests per backend and second over the last minute, by outcome: what the dashboard's
/// chart shows. Lock-free and allocation-free per request (a bucket per second is reset by whichever
/// request first enters a new second; a request racing that reset may be lost, which a chart can bear).
/// </summary>
internal sealed class RecentTraffic(TimeProvider timeProvider)
{
    /// <summary>How many seconds are kept.</summary>
    public const int Seconds = 60;

    private const int MaxBackends = 64;
    private const int Outcomes = 3;

    private readonly long[] _stamps = new long[Seconds];
    private readonly long[] _counts = new long[Seconds * MaxBackends * Outcomes];
    private readonly long[] _totals = new long[MaxBackends * Outcomes];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _indexes = new(StringComparer.OrdinalIgnoreCase);
    private readonly string?[] _ids = new string?[MaxBackends];

    /// <summary>Counts one request to <paramref name="backendId"/> with <paramref name="outcome"/>.</summary>
    public void Record(string backendId, TrafficOutcome outcome)
    {
        var backend = IndexOf(backendId);
        if (backend < 0)
        {
            return;
        }

        var second = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var bucket = (int)(second % Seconds);
        var stamp = Volatile.Read(ref _stamps[bucket]);
        if (stamp != second && Interlocked.CompareExchange(ref _stamps[bucket], second, stamp) == stamp)
        {
            Array.Clear(_counts, bucket * MaxBackends * Outcomes, MaxBackends * Outcomes);
        }

        Interlocked.Increment(ref _counts[(((bucket * MaxBackends) + backend) * Outcomes) + (int)outcome]);
        Interlocked.Increment(ref _totals[(backend * Outcomes) + (int)outcome]);
    }

    /// <summary>Every request counted since the gateway started, per backend seen so far: what <c>/metrics</c> exports.</summary>
    public IReadOnlyDictionary<string, TrafficCounts> Totals()
    {
        var totals = new Dictionary<string, TrafficCounts>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < MaxBackends; i++)
        {
            if (Volatile.Read(ref _ids[i]) is { } id)
            {
                var at = i * Outcomes;
                totals[id] = new TrafficCounts(
                    Volatile.Read(ref _totals[at + (int)TrafficOutcome.Ok]),
                    Volatile.Read(ref _totals[at + (int)TrafficOutcome.Failed]),
                    Volatile.Read(ref _totals[at + (int)TrafficOutcome.Rejected]));
            }
        }

        return totals;
    }

    /// <summary>The last <paramref name="seconds"/> seconds, oldest first, with every backend seen so far.</summary>
    public IReadOnlyList<TrafficSecond> Snapshot(int seconds)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var known = Enumerable.Range(0, MaxBackends).Where(i => Volatile.Read(ref _ids[i]) is not null).ToList();
        var result = new List<TrafficSecond>(seconds);
        for (var second = now - seconds + 1; second <= now; second++)
        {
            var bucket = (int)(second % Seconds);
            var current = Volatile.Read(ref _stamps[bucket]) == second;
            var backends = known.ToDictionary(
                i => _ids[i]!,
                i => current ? Counts(bucket, i) : new TrafficCounts(0, 0, 0),
                StringComparer.OrdinalIgnoreCase);
            result.Add(new TrafficSecond(second, backends));
        }

        return result;
    }

    private TrafficCounts Counts(int bucket, int backend)
    {
        var at = ((bucket * MaxBackends) + backend) * Outcomes;
        return new TrafficCounts(
            Volatile.Read(ref _counts[at + (int)TrafficOutcome.Ok]),
            Volatile.Read(ref _counts[at + (int)TrafficOutcome.Failed]),
            Volatile.Read(ref _counts[at + (int)TrafficOutcome.Rejected]));
    }

    private int IndexOf(string backendId)
    {
        if (_indexes.TryGetValue(backendId, out var index))
        {
            return index;
        }

        lock (_indexes)
        {
            if (_indexes.TryGetValue(backendId, out index))
            {
                return index;
            }

            if (_indexes.Count == MaxBackends)
            {
                return -1;
            }

            index = _indexes.Count;
            Volatile.Write(ref _ids[index], backendId);
            _indexes[backendId] = index;
            return index;
        }
    }
}
