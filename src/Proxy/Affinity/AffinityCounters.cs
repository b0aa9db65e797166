namespace StickyLb.Proxy.Affinity;

/// <summary>
/// Counts what the affinity policy decided, for <c>GET /api/stats</c>. Lock-free: every proxied
/// request increments one of these.
/// </summary>
internal sealed class AffinityCounters
{
    private long _newPins;
    private long _hits;
    private long _rePins;
    private long _rebalanced;
    private long _unavailable;
    private long _expiredPins;
    private long _unknown;
    private long _malformed;
    private long _oversized;
    private long _repeated;
    private long _tampered;

    /// <summary>A client without a valid cookie was pinned.</summary>
    public void NewPin() => Interlocked.Increment(ref _newPins);

    /// <summary>A request went to the healthy backend its cookie names.</summary>
    public void Hit() => Interlocked.Increment(ref _hits);

    /// <summary>A client pinned to a backend that is down was pinned to another (Redistribute).</summary>
    public void RePin() => Interlocked.Increment(ref _rePins);

    /// <summary>A client pinned to a healthy backend over the rebalance bound was moved to another and re-pinned (<c>--rebalance</c>).</summary>
    public void Rebalanced() => Interlocked.Increment(ref _rebalanced);

    /// <summary>A client pinned to a backend that is down got 503 (Return503Error).</summary>
    public void Unavailable() => Interlocked.Increment(ref _unavailable);

    /// <summary>A genuine pin had outlived <c>--pin-max-idle</c> or <c>--pin-max-life</c>; the client is placed afresh.</summary>
    public void ExpiredPin() => Interlocked.Increment(ref _expiredPins);

    /// <summary>A cookie was ignored as invalid, for the reason given.</summary>
    public void Miss(ServerCookieStatus reason)
    {
        switch (reason)
        {
            case ServerCookieStatus.WellFormed:
                // A well-formed id that names no destination.
                Interlocked.Increment(ref _unknown);
                break;
            case ServerCookieStatus.Malformed:
                Interlocked.Increment(ref _malformed);
                break;
            case ServerCookieStatus.Oversized:
                Interlocked.Increment(ref _oversized);
                break;
            case ServerCookieStatus.Repeated:
                Interlocked.Increment(ref _repeated);
                break;
            case ServerCookieStatus.Tampered:
                Interlocked.Increment(ref _tampered);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(reason), reason, "Only an invalid cookie is a miss.");
        }
    }

    /// <summary>A consistent-enough copy of the counters for reporting.</summary>
    public AffinitySnapshot Snapshot() => new(
        Volatile.Read(ref _newPins),
        Volatile.Read(ref _hits),
        Volatile.Read(ref _rePins),
        Volatile.Read(ref _rebalanced),
        Volatile.Read(ref _unavailable),
        Volatile.Read(ref _expiredPins),
        new AffinityMisses(
            Volatile.Read(ref _unknown),
            Volatile.Read(ref _malformed),
            Volatile.Read(ref _oversized),
            Volatile.Read(ref _repeated),
            Volatile.Read(ref _tampered)));
}
