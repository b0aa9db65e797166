using System.Collections.Concurrent;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Health;

namespace StickyLb.Proxy.Metrics;

/// <summary>
/// How many sessions each backend holds, as its <c>/healthz</c> last said, asked every few seconds once
/// metrics are first read (a gateway nobody scrapes sends its backends nothing more than before): a
/// scrape reads the latest answers instead of waiting on every backend.
/// </summary>
internal sealed class BackendSessionsSampler(BackendSupervisor supervisor, DestinationHealthSignal health, BackendProbe probe) : BackgroundService
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
            await _wanted.Task.WaitAsync(stoppingToken);
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
        try
        {
            _sessions[id] = (await probe.GetHealthAsync(address, timeout.Token))?.Sessions ?? 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Down, slow or not a StickyLb backend (--spawn false): it reports no sessions; the next round asks again.
            _sessions[id] = 0;
        }
    }
}
