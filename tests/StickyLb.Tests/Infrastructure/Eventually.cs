using System.Diagnostics;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// The tests' one waiting loop: polls a condition until it holds or the time is up, and on timeout throws a
/// <see cref="TimeoutException"/> whose message says what was awaited and the last value seen. A test waits for the
/// event it stands for (a readiness check, a log line, a state in the admin API) instead of sleeping a fixed time.
/// </summary>
internal static class Eventually
{
    /// <summary>How long a poll waits before reading again: short, so that a wait ends about when its event happens.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> is true; on timeout throws with <paramref name="reason"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> reason, TimeSpan? interval = null) =>
        ValueAsync(() => Task.FromResult(condition()), holds => holds, timeout, _ => reason(), interval);

    /// <summary>Waits until <paramref name="condition"/> completes true; on timeout throws with <paramref name="reason"/>.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> reason, TimeSpan? interval = null) =>
        ValueAsync(condition, holds => holds, timeout, _ => reason(), interval);

    /// <summary>
    /// Reads <paramref name="read"/> until <paramref name="done"/> accepts the value and returns that value; on timeout
    /// throws with <paramref name="reason"/> given the last value read. Exceptions of <paramref name="read"/> propagate
    /// (a process that exited is not worth waiting for).
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T, string> reason, TimeSpan? interval = null)
    {
        var (reached, last) = await TryAsync(read, done, timeout, interval);
        return reached ? last : throw new TimeoutException($"Not within {timeout}: {reason(last)}");
    }

    /// <summary>
    /// Reads <paramref name="read"/> until <paramref name="done"/> accepts the value or the time is up; returns whether it
    /// did and the last value read, for a caller whose timeout is an outcome rather than a failure.
    /// </summary>
    public static async Task<(bool Reached, T Last)> TryAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return (true, value);
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return (false, value);
            }

            // The poll interval, not a wait for an event: the one fixed delay of the polling loop.
            await Task.Delay(interval ?? PollInterval);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> is true or the time is up; returns whether it became true.</summary>
    public static async Task<bool> TryTrueAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        (await TryAsync(() => Task.FromResult(condition()), holds => holds, timeout, interval)).Reached;
}
