namespace StickyLb.Proxy.Health;

/// <summary>
/// One backend's answered and failed requests over the last <see cref="Seconds"/> (the cluster's
/// <see cref="BackendFaultsPassivePolicyOptions.FailureWindow"/>),
/// in one-second buckets, for the rate rule of <see cref="BackendFaultsPassivePolicy"/>. Recording takes
/// an uncontended lock for a few nanoseconds; only a failure sums the buckets.
/// </summary>
internal sealed class FailureWindow
{
    private readonly long[] _seconds;
    private readonly int[] _totals;
    private readonly int[] _failures;
    private readonly Lock _lock = new();

    public FailureWindow(int seconds)
    {
        _seconds = new long[seconds];
        _totals = new int[seconds];
        _failures = new int[seconds];
    }

    /// <summary>How many seconds back it counts.</summary>
    public int Seconds => _seconds.Length;

    /// <summary>Counts a request that the backend answered.</summary>
    public void RecordSuccess(long second)
    {
        lock (_lock)
        {
            _totals[Bucket(second)]++;
        }
    }

    /// <summary>Counts a failed request and returns the failures and requests of the window, this one included.</summary>
    public (int Failures, int Total) RecordFailure(long second)
    {
        lock (_lock)
        {
            var bucket = Bucket(second);
            _totals[bucket]++;
            _failures[bucket]++;
            int failures = 0, total = 0;
            for (var i = 0; i < _seconds.Length; i++)
            {
                if (second - _seconds[i] < _seconds.Length)
                {
                    failures += _failures[i];
                    total += _totals[i];
                }
            }

            return (failures, total);
        }
    }

    /// <summary>Forgets everything: the backend has just left rotation and starts anew when it returns.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Array.Clear(_seconds);
            Array.Clear(_totals);
            Array.Clear(_failures);
        }
    }

    private int Bucket(long second)
    {
        var bucket = (int)(second % _seconds.Length);
        if (_seconds[bucket] != second)
        {
            _seconds[bucket] = second;
            _totals[bucket] = 0;
            _failures[bucket] = 0;
        }

        return bucket;
    }
}
