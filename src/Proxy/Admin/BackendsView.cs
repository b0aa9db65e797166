using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Live;
using StickyLb.Shared;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// The backends as the admin API reports them (<see cref="BackendInfo"/>): what the supervisor, the health
/// checks, the counters, the backend's own health answer and the drain state say of each, gathered in one place
/// so that every handler that answers a backend answers it the same way.
/// </summary>
internal sealed class BackendsView(
    BackendSupervisor supervisor,
    DestinationHealthSignal health,
    BackendRequestCounters requests,
    LiveConnectionCounters connections,
    BackendProbe probe,
    DrainRegistry drain)
{
    /// <summary>How long describing a backend waits for its session count.</summary>
    private static readonly TimeSpan SessionsProbeTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The processes the gateway spawned or, with <c>--spawn false</c>, the destinations of its configuration.</summary>
    public IEnumerable<KnownBackend> List() =>
        supervisor.IsSupervising
            ? supervisor.Backends.Select(KnownBackend.Of)
            : health.Destinations().Select(d => new KnownBackend(d.DestinationId, new Uri(d.Model.Config.Address), null, null));

    /// <summary>The backend this gateway knows by <paramref name="id"/> (any case), or null.</summary>
    public KnownBackend? Find(string id) =>
        List().FirstOrDefault(b => string.Equals(b.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every known backend, described at once.</summary>
    public Task<BackendInfo[]> DescribeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(List().Select(b => DescribeAsync(b, cancellationToken)));

    /// <summary>One backend as <c>GET /api/backends</c> reports it, asking it for its sessions and memory if it may answer.</summary>
    public async Task<BackendInfo> DescribeAsync(KnownBackend backend, CancellationToken cancellationToken)
    {
        var healthText = health.Describe(backend.Id);
        // A backend this gateway does not run is never "stopped": its health says whether it answers.
        var running = backend.State is null || backend.State != BackendState.Stopped;
        var (sessions, memoryBytes) = (0, 0L);
        if (running && HealthStatus.IsUp(healthText))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SessionsProbeTimeout);
            try
            {
                var report = await probe.GetHealthAsync(backend.Address, timeout.Token);
                (sessions, memoryBytes) = (report?.Sessions ?? 0, report?.MemoryBytes ?? 0);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A backend too slow to report is reported with no sessions and no memory.
            }
        }

        var stateText = KnownBackends.StateText(running, drain.IsDraining(backend.Id));
        return new BackendInfo(
            backend.Id, backend.Address.ToString().TrimEnd('/'), stateText, healthText, backend.Pid,
            requests.Get(backend.Id), sessions, memoryBytes, connections.Get(backend.Id));
    }
}
