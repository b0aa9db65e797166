namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The backend connections (<see cref="BackendLane"/>s) of one destination, lent to one request at a time, so that
/// the connections a backend gets follow the requests in flight to it, not the clients connected to the gateway.
/// <para>
/// Who may have a lane: an HTTP/1.1 client cannot tell a response a backend sends unasked (late, or beyond its
/// framing) from the answer to the next request on that connection, so a lane goes back to the client connection
/// that used it last at once, and to another only once it has been idle for the quiet period. Whatever a backend
/// sends after an answer arrives within that period and is found before the lane is reused (HttpClient reads ahead
/// before it reuses a connection, and <see cref="UnaskedBytesStream"/> fails such bytes and tells the pool). A backend
/// seen sending unasked bytes once is isolated for good: its lanes pass to another client connection only on a
/// new connection, as with <see cref="BackendConnectionSharing.Never"/>, HAProxy's <c>http-reuse never</c>.
/// </para>
/// <para>
/// At the cluster's <c>MaxConnectionsPerServer</c>, a request takes a free lane of another client connection on a new
/// connection (the old one closed), or waits for a lane to be released.
/// </para>
/// <para>
/// How many it keeps: the quiet period makes a burst of new client connections open more connections than it has
/// requests in flight at once. The pool keeps as many as it had requests in flight at once in the last idle timeout
/// (the need, as HAProxy estimates it before it purges idle connections), or as many as were lent or in their quiet
/// period at once in the last second or two (what a steady stream of new client connections keeps reusing), whichever
/// is more; free lanes beyond that close once unused for <see cref="SurplusIdle"/>, the rest after the idle timeout.
/// </para>
/// </summary>
internal sealed class BackendLanePool : IDisposable
{
    /// <summary>How long a free lane beyond the need stays unused before it closes.</summary>
    public static readonly TimeSpan SurplusIdle = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();

    // Free lanes still in their quiet period, the longest released first.
    private readonly LinkedList<BackendLane> _quiet = new();

    // Free lanes past it, the most recently released first (so that the least used ones reach the idle timeout and close).
    private readonly LinkedList<BackendLane> _ready = new();
    private readonly Queue<Waiter> _waiters = new();
    private readonly Func<BackendLane, HttpMessageInvoker> _create;
    private readonly TimeProvider _time;
    private readonly TimeSpan _quietPeriod;
    private readonly TimeSpan _idleTimeout;
    private readonly int _limit;
    private readonly Action<BackendLanePool> _isolated;
    private ITimer? _idleTimer;
    private int _count;
    private int _lent;

    // The most lanes lent at once in the current window of one idle timeout, and in the one before it.
    private int _peakLent;
    private int _previousPeakLent;
    private long _windowStart;

    // The most lanes lent or in their quiet period at once, seen when a lane was lent, since the idle timer's last tick
    // and between the two ticks before it (the timer ticks every SurplusIdle while any lane is free).
    private int _peakBusy;
    private int _previousPeakBusy;
    private bool _isolatedForGood;
    private bool _disposed;

    public BackendLanePool(
        string backend,
        Func<BackendLane, HttpMessageInvoker> create,
        int? maxConnections,
        BackendConnectionsOptions options,
        TimeProvider time,
        Action<BackendLanePool> isolated)
    {
        Backend = backend;
        _create = create;
        _limit = maxConnections is > 0 and var limit ? limit : int.MaxValue;
        _quietPeriod = options.QuietPeriod;
        _idleTimeout = options.IdleTimeout;
        _time = time;
        _isolated = isolated;
        _isolatedForGood = options.Sharing == BackendConnectionSharing.Never;
        _windowStart = time.GetTimestamp();
    }

    /// <summary>The destination's id, for the log.</summary>
    public string Backend { get; }

    /// <summary>The lanes that exist (lent or free): the most backend connections the pool can hold now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Whether the pool's lanes pass between client connections only on a new connection.</summary>
    public bool IsIsolated
    {
        get
        {
            lock (_lock)
            {
                return _isolatedForGood;
            }
        }
    }

    /// <summary>A lane for a request of <paramref name="owner"/>, at once when one is free to it, else once one is released.</summary>
    public ValueTask<BackendLane> LeaseAsync(ClientConnectionBackends owner, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (TryLend(owner) is { } lane)
            {
                return new ValueTask<BackendLane>(lane);
            }

            waiter = new Waiter(owner);
            _waiters.Enqueue(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    /// <summary>The request on <paramref name="lane"/> is over (answered, failed or cancelled).</summary>
    public void Release(BackendLane lane)
    {
        lane.RequestCompleted();
        lock (_lock)
        {
            lane.Leased = false;
            _lent--;
            lane.ReleasedAt = _time.GetTimestamp();
            if (_disposed || lane.IsDisposed)
            {
                lane.Dispose();
                return;
            }

            while (_waiters.TryDequeue(out var waiter))
            {
                if (waiter.Completion.Task.IsCompleted)
                {
                    continue;
                }

                if (!ReferenceEquals(waiter.Owner, lane.Owner))
                {
                    lane.Recycle();
                }

                Lend(lane, waiter.Owner);
                if (waiter.Completion.TrySetResult(lane))
                {
                    return;
                }

                lane.Leased = false;
                _lent--;
            }

            if (_isolatedForGood && lane.Owner is { IsClosed: true })
            {
                Remove(lane);
                return;
            }

            _quiet.AddLast(lane.Node);
            if (_idleTimer is null)
            {
                _previousPeakBusy = _peakBusy = _count - _ready.Count;
            }

            _idleTimer ??= _time.CreateTimer(static state => ((BackendLanePool)state!).CloseIdleLanes(), this, SurplusIdle, SurplusIdle);
        }
    }

    /// <summary><paramref name="owner"/> has closed; under isolation its free <paramref name="lane"/> can serve nobody else, so it closes.</summary>
    public void OwnerClosed(ClientConnectionBackends owner, BackendLane lane)
    {
        lock (_lock)
        {
            if (_isolatedForGood && !lane.Leased && !lane.IsDisposed && ReferenceEquals(lane.Owner, owner))
            {
                lane.Node.List?.Remove(lane.Node);
                Remove(lane);
            }
        }
    }

    /// <summary>The backend sent bytes nobody asked for: from now on its lanes change hands only on a new connection.</summary>
    public void SawUnaskedBytes()
    {
        lock (_lock)
        {
            if (_isolatedForGood)
            {
                return;
            }

            _isolatedForGood = true;
        }

        _isolated(this);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _idleTimer?.Dispose();
            foreach (var lane in _quiet.Concat(_ready).ToList())
            {
                lane.Dispose();
            }

            _quiet.Clear();
            _ready.Clear();
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Completion.TrySetException(new ObjectDisposedException(nameof(BackendLanePool)));
            }
        }
    }

    private BackendLane? TryLend(ClientConnectionBackends owner)
    {
        var now = _time.GetTimestamp();
        EndQuietPeriods(now);
        CloseIdle(now);
        NextWindow(now);

        // The lane this client connection used last, at once: whatever it may still hold is this client's own.
        if (owner.LaneIn(this) is { Leased: false, IsDisposed: false } own && ReferenceEquals(own.Owner, owner))
        {
            own.Node.List?.Remove(own.Node);
            return Lend(own, owner);
        }

        if (!_isolatedForGood && _ready.First is { } ready)
        {
            _ready.RemoveFirst();
            return Lend(ready.Value, owner);
        }

        if (_count < _limit)
        {
            _count++;
            return Lend(new BackendLane(this, _create), owner);
        }

        // At the limit: another client connection's free lane, on a new connection.
        if ((_ready.Last ?? _quiet.First) is { } other)
        {
            other.List!.Remove(other);
            other.Value.Recycle();
            return Lend(other.Value, owner);
        }

        return null;
    }

    private BackendLane Lend(BackendLane lane, ClientConnectionBackends owner)
    {
        lane.Leased = true;
        _lent++;
        _peakLent = Math.Max(_peakLent, _lent);
        _peakBusy = Math.Max(_peakBusy, _count - _ready.Count);
        lane.Owner = owner;
        owner.Remember(this, lane);
        return lane;
    }

    private void EndQuietPeriods(long now)
    {
        while (_quiet.First is { } first && _time.GetElapsedTime(first.Value.ReleasedAt, now) >= _quietPeriod)
        {
            _quiet.RemoveFirst();
            _ready.AddFirst(first);
        }
    }

    private void CloseIdle(long now)
    {
        while (_ready.Last is { } last && _time.GetElapsedTime(last.Value.ReleasedAt, now) >= _idleTimeout)
        {
            _ready.RemoveLast();
            Remove(last.Value);
        }
    }

    /// <summary>Starts a new window of the need once the current one is an idle timeout old.</summary>
    private void NextWindow(long now)
    {
        var elapsed = _time.GetElapsedTime(_windowStart, now);
        if (elapsed < _idleTimeout)
        {
            return;
        }

        _previousPeakLent = elapsed < 2 * _idleTimeout ? _peakLent : _lent;
        _peakLent = _lent;
        _windowStart = now;
    }

    /// <summary>Closes the least recently used free lanes beyond the need that have been unused for <see cref="SurplusIdle"/>.</summary>
    private void CloseSurplus(long now)
    {
        var need = Math.Max(Math.Max(_peakLent, _previousPeakLent), Math.Max(_peakBusy, _previousPeakBusy));
        while (_count > need && _ready.Last is { } last && _time.GetElapsedTime(last.Value.ReleasedAt, now) >= SurplusIdle)
        {
            _ready.RemoveLast();
            Remove(last.Value);
        }
    }

    /// <summary>
    /// Every <see cref="SurplusIdle"/> while any lane is free, even when no request comes (after a burst of clients,
    /// say): closes the lanes unused for the idle timeout and the surplus beyond the need.
    /// </summary>
    private void CloseIdleLanes()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetTimestamp();
            EndQuietPeriods(now);
            CloseIdle(now);
            NextWindow(now);

            // A new window of lanes busy at once starts at each tick, from those lent now: lanes still in their quiet
            // period after a burst of new client connections do not carry its need into the next window.
            _previousPeakBusy = _peakBusy;
            _peakBusy = _lent;
            CloseSurplus(now);
            if (_ready.Count == 0 && _quiet.Count == 0)
            {
                _idleTimer!.Dispose();
                _idleTimer = null;
            }
        }
    }

    private void Remove(BackendLane lane)
    {
        lane.Dispose();
        _count--;
    }

    private static async ValueTask<BackendLane> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(static state => ((Waiter)state!).Completion.TrySetCanceled(), waiter))
        {
            return await waiter.Completion.Task.ConfigureAwait(false);
        }
    }

    private sealed class Waiter(ClientConnectionBackends owner)
    {
        public ClientConnectionBackends Owner { get; } = owner;

        public TaskCompletionSource<BackendLane> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
