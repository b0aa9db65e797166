using System.Collections.Concurrent;
using System.Diagnostics;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Which sessions this backend may read from its own replica in <c>sync</c> mode, without asking a majority:
/// those whose latest version it wrote itself (a majority acknowledged it, so no later version can exist
/// unless another backend wrote one), as long as its replica still holds exactly that version and nothing
/// happened since that could have hidden another backend's write from it. Every sync write goes to every
/// backend (<see cref="ReplicatedDistributedCache"/>), so a backend that held the session sees a newer
/// version and stops reading locally. What could hide a write: a
/// change in the cluster's membership or reachability (a partition, a member lost or back), or this process
/// having been paused (SIGSTOP, a stalled machine) for longer than <see cref="PauseThreshold"/>. Either
/// forgets every right: each session's next read goes to a majority again.
/// </summary>
/// <remarks>
/// A right remembers the last few versions this backend wrote (<see cref="VersionsKept"/>), not only the last one
/// it was told of: two requests of one user at once on this backend each write a version, and the replica keeps the
/// one its replicator applied last, which need not be the one whose acknowledgement came back last. Remembering one
/// version sent such a session to a majority on every read until its next write (18% of the reads of the stores
/// bench's changes, and a read-only run after them read a varying share from a majority: 57 to 211 µs of backend
/// CPU per request). Any of them is this backend's own, so the rule is the same: a replica that holds one of them
/// holds no other backend's newer write.
/// </remarks>
internal sealed class LocalReadRights : IDisposable
{
    /// <summary>A gap between the pause detector's ticks longer than this counts as a pause. 1 s.</summary>
    public static readonly TimeSpan PauseThreshold = TimeSpan.FromSeconds(1);

    /// <summary>How many of the versions this backend wrote last a right remembers. 4.</summary>
    public const int VersionsKept = 4;

    /// <summary>The written-at stamp that says "no version exists": a write after such a read is the first.</summary>
    private const long NoVersion = long.MinValue;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, Right> _rights = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer? _pauseDetector;
    private readonly TimeSpan _forgetAfter;
    private long _epoch;
    private long _lastTick;
    private long _nextPrune;

    /// <param name="time">The clock.</param>
    /// <param name="forgetAfter">How long a right unused is kept (the session idle timeout: it has expired by then).</param>
    /// <param name="detectPauses">Whether to run the pause detector (off in unit tests that drive <see cref="Interrupt"/> themselves).</param>
    public LocalReadRights(TimeProvider time, TimeSpan forgetAfter, bool detectPauses = true)
    {
        _time = time;
        _forgetAfter = forgetAfter;
        _lastTick = Stopwatch.GetTimestamp();
        if (detectPauses)
        {
            _pauseDetector = time.CreateTimer(_ => OnTick(), null, Tick, Tick);
        }
    }

    /// <summary>How many times every right has been forgotten.</summary>
    public long Interruptions => Interlocked.Read(ref _epoch);

    /// <summary>Forgets every right: the cluster changed, or this process was paused.</summary>
    public void Interrupt()
    {
        Interlocked.Increment(ref _epoch);
        ReplicatedMetrics.RightsForgotten.Add(1);
    }

    /// <summary>This backend wrote <paramref name="writtenAtTicks"/> of <paramref name="key"/>, acknowledged by a majority.</summary>
    public void Wrote(string key, long writtenAtTicks) => Set(key, writtenAtTicks, keepEarlier: true);

    /// <summary>
    /// A majority read returned the version written at <paramref name="writtenAtTicks"/> (null: no version):
    /// still this backend's own when it is the one it wrote last, else another backend's.
    /// </summary>
    public void ReadFromMajority(string key, long? writtenAtTicks)
    {
        if (writtenAtTicks is not { } stamp)
        {
            Set(key, NoVersion, keepEarlier: false);
        }
        else if (!_rights.TryGetValue(key, out var right) || !right.Holds(stamp))
        {
            _rights.TryRemove(key, out _);
        }
        else
        {
            // Its own version still: the right holds again, in the current epoch.
            Set(key, stamp, keepEarlier: false);
        }
    }

    /// <summary>Whether the local replica's version of <paramref name="key"/>, written at <paramref name="localWrittenAtTicks"/>, is the latest.</summary>
    public bool MayReadLocally(string key, long localWrittenAtTicks)
    {
        // The request may be the first thing this process does after a pause, before the detector's overdue tick.
        if (_pauseDetector is not null && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastTick)) > PauseThreshold)
        {
            Interrupt();
            return false;
        }

        return _rights.TryGetValue(key, out var right) && right.Epoch == Interruptions && right.Holds(localWrittenAtTicks);
    }

    /// <summary>Forgets <paramref name="key"/> (removed).</summary>
    public void Forget(string key) => _rights.TryRemove(key, out _);

    public void Dispose() => _pauseDetector?.Dispose();

    /// <param name="keepEarlier">Whether the versions this backend wrote before, in the same epoch, still count.</param>
    private void Set(string key, long writtenAt, bool keepEarlier)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var epoch = Interruptions;
        _rights.AddOrUpdate(
            key,
            static (_, state) => new Right([state.WrittenAt], state.Epoch, state.Now),
            static (_, earlier, state) => new Right(
                state.KeepEarlier && earlier.Epoch == state.Epoch ? [state.WrittenAt, .. earlier.Versions.AsSpan(0, Math.Min(earlier.Versions.Length, VersionsKept - 1))] : [state.WrittenAt],
                state.Epoch,
                state.Now),
            (WrittenAt: writtenAt, Epoch: epoch, Now: now, KeepEarlier: keepEarlier));
        var prune = Interlocked.Read(ref _nextPrune);
        if (now >= prune && Interlocked.CompareExchange(ref _nextPrune, now + _forgetAfter.Ticks / 4, prune) == prune)
        {
            foreach (var (k, right) in _rights)
            {
                if (now - right.SetAt >= _forgetAfter.Ticks || right.Epoch != Interruptions)
                {
                    _rights.TryRemove(KeyValuePair.Create(k, right));
                }
            }
        }
    }

    private void OnTick()
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Exchange(ref _lastTick, now);
        if (Stopwatch.GetElapsedTime(last, now) > PauseThreshold)
        {
            Interrupt();
        }
    }

    /// <summary>The versions this backend wrote last (newest first), in the epoch they hold in.</summary>
    private sealed record Right(long[] Versions, long Epoch, long SetAt)
    {
        public bool Holds(long writtenAt) => Array.IndexOf(Versions, writtenAt) >= 0;
    }
}
