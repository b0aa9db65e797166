using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace StickyLb.Proxy.Placement;

/// <summary>
/// How many live sessions each backend holds, as <see cref="LeastSessionsPolicy"/> places by: what the backend's
/// <c>/healthz</c> said at its last sample (every 2 s, <see cref="Metrics.BackendSessionsSampler"/>), plus the pins
/// the gateway made to it since that sample was asked for, so that a burst of new users between two samples is spread
/// too. Lock-free: a pin is one interlocked increment.
/// </summary>
internal sealed class SessionEstimates
{
    private readonly ConcurrentDictionary<string, Counts> _counts = new(StringComparer.OrdinalIgnoreCase);
    private readonly TaskCompletionSource _wanted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once placement needs the counts: the sampler starts asking the backends then.</summary>
    public Task Wanted => _wanted.Task;

    /// <summary>Asks for the backends' counts to be sampled from now on.</summary>
    public void Want() => _wanted.TrySetResult();

    /// <summary>The estimated live sessions of backend <paramref name="id"/>.</summary>
    public long Estimate(string id)
    {
        var counts = For(id);
        return Volatile.Read(ref counts.Sampled) + Volatile.Read(ref counts.Pins) - Volatile.Read(ref counts.PinsAtSample);
    }

    /// <summary>Counts a new pin to backend <paramref name="id"/>.</summary>
    public void Pinned(string id) => Interlocked.Increment(ref For(id).Pins);

    /// <summary>Called as a sample of backend <paramref name="id"/> is asked for; pass the result to <see cref="Sampled"/>.</summary>
    public long Sampling(string id) => Volatile.Read(ref For(id).Pins);

    /// <summary>
    /// Records that backend <paramref name="id"/> holds <paramref name="sessions"/>, as asked at <paramref name="sampling"/>:
    /// the pins made since then are not in the count yet.
    /// </summary>
    public void Sampled(string id, int sessions, long sampling)
    {
        var counts = For(id);
        lock (counts)
        {
            // Two figures, one meaning: a reader between the writes is off by the pins of one sample, which placement bears.
            Volatile.Write(ref counts.PinsAtSample, sampling);
            Volatile.Write(ref counts.Sampled, sessions);
        }
    }

    private Counts For(string id) =>
        _counts.TryGetValue(id, out var counts) ? counts : _counts.GetOrAdd(id, static _ => new Counts());

    private sealed class Counts
    {
        public long Sampled;
        public long Pins;
        public long PinsAtSample;
    }
}
