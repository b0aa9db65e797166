using System.Collections.Concurrent;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Placement;

namespace StickyLb.Proxy.Metrics;

/// <summary>
/// How many sessions each backend holds, as its <c>/healthz</c> last said, asked every few seconds once
/// metrics are first read (a gateway nobody scrapes sends its backends nothing more than before): a
/// scrape reads the latest answers instead of waiting on every backend. <see cref="LeastSessionsPolicy"/> starts it too
/// (<see cref="SessionEstimates.Want"/>), and places by the same answers (<see cref="SessionEstimates"/>).
/// </summary>
internal sealed class BackendSessionsSampler(BackendSupervisor supervisor, DestinationHealthSignal health, BackendProbe probe, SessionEstimates estimates) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, int> _sessions = new(StringComparer.OrdinalIgnoreCase);
    private readonly TaskCompletionSource _wanted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The latest count per backend (a backend that does not answer counts none); the first read starts the sampling.</summary>
    public IReadOnlyDictionary<string, int> Sessions
    {
        get
        {
            _wanted.TrySetResult();
            return _sessions;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAny(_wanted.Task, estimates.Wanted).WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(Interval);
            do
            {
                await Task.WhenAll(KnownBackends.List(supervisor, health).Select(b => SampleAsync(b.Id, b.Address, stoppingToken)));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The gateway stops (or never finished starting): nothing to report.
        }
    }

    private async Task SampleAsync(string id, Uri address, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(ProbeTimeout);
        var sampling = estimates.Sampling(id);
        try
        {
            var sessions = (await probe.GetHealthAsync(address, timeout.Token))?.Sessions ?? 0;
            _sessions[id] = sessions;
            estimates.Sampled(id, sessions, sampling);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Slow: it reports no sessions, but placement keeps its last count (a busy backend is not an empty one).
            _sessions[id] = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Down or not a StickyLb backend (--spawn false): it holds no sessions anyone can reach; the next round asks again.
            _sessions[id] = 0;
            estimates.Sampled(id, 0, sampling);
        }
    }
}
