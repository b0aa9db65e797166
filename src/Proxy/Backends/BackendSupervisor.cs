using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Replicated;
using StickyLb.Proxy.Store;
using StickyLb.Shared;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Spawns the N backends at start-up and waits until each answers, kills and restarts them on
/// request, and kills every one of them when the gateway stops (SIGINT, SIGTERM).
/// </summary>
internal sealed class BackendSupervisor : IHostedService, IDisposable
{
    /// <summary>How long a backend may take to answer its first health probe.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ReadyPollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly GatewayOptions _options;
    private readonly BackendProbe _probe;
    private readonly ClusterPeers _peers;
    private readonly ILogger<BackendSupervisor> _logger;

    public BackendSupervisor(
        IOptions<GatewayOptions> options, DestinationHealthSignal health, StoreSupervisor store, BackendProbe probe, ClusterPeers peers, ILogger<BackendSupervisor> logger)
    {
        _options = options.Value;
        _probe = probe;
        _peers = peers;
        _logger = logger;
        Backends = _options.Spawn
            ? [.. Enumerable.Range(1, _options.Backends).Select(i => new BackendProcess(
                i.ToString(System.Globalization.CultureInfo.InvariantCulture), _options.BackendAddress(i), _options, health, store, logger))]
            : [];
    }

    /// <summary>The supervised backends, in id order; empty with <c>--spawn false</c>.</summary>
    public IReadOnlyList<BackendProcess> Backends { get; }

    /// <summary>Whether this gateway spawned its backends.</summary>
    public bool IsSupervising => _options.Spawn;

    public BackendProcess? Find(string id) => Backends.FirstOrDefault(b => b.Id == id);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // In redis and replicated mode the first backend creates the shared key ring (and in
            // replicated mode the cluster); the others, started once it is ready, join it and find that
            // key instead of each making its own.
            var first = _options.Store is StoreMode.Redis or StoreMode.Replicated ? Backends.Take(1).ToList() : [];
            foreach (var group in new[] { first, Backends.Except(first).ToList() })
            {
                group.ForEach(b => b.TryStart(PreparePeers(b)));
                await Task.WhenAll(group.Select(b => WaitUntilReadyAsync(b, cancellationToken)));
            }
        }
        catch
        {
            KillAll();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _logger.StoppingBackends(Backends.Count);
        KillAll();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await Task.WhenAll(Backends.Select(b => b.WaitForExitAsync(timeout.Token)));
        }
        catch (OperationCanceledException)
        {
            // SIGKILL cannot be refused; a process that has not been reaped yet is gone all the same.
        }
    }

    /// <summary>Kills backend <paramref name="id"/> with SIGKILL, as a crash would.</summary>
    public BackendCommandResult Kill(string id)
    {
        if (!IsSupervising)
        {
            return BackendCommandResult.NotSupervised;
        }

        var backend = Find(id);
        if (backend is null)
        {
            return BackendCommandResult.NotFound;
        }

        return backend.TryKill() ? BackendCommandResult.Done : BackendCommandResult.AlreadyInState;
    }

    /// <summary>Starts backend <paramref name="id"/> again and waits until it answers.</summary>
    public async Task<BackendCommandResult> StartAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsSupervising)
        {
            return BackendCommandResult.NotSupervised;
        }

        var backend = Find(id);
        if (backend is null)
        {
            return BackendCommandResult.NotFound;
        }

        if (!backend.TryStart(PreparePeers(backend)))
        {
            return BackendCommandResult.AlreadyInState;
        }

        try
        {
            await WaitUntilReadyAsync(backend, cancellationToken);
            return BackendCommandResult.Done;
        }
        catch (BackendStartException)
        {
            return BackendCommandResult.Failed;
        }
    }

    private async Task WaitUntilReadyAsync(BackendProcess backend, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        try
        {
            while (backend.State == BackendState.Starting)
            {
                // The pid check matters: another process (an earlier gateway's backend) may hold the
                // port, and its answer must not pass for this backend's readiness.
                if (await _probe.GetHealthAsync(backend.Address, timeout.Token) is { } report && report.Pid == backend.Pid && IsReady(report))
                {
                    backend.MarkReady();
                    return;
                }

                await Task.Delay(ReadyPollInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            backend.TryKill(onRequest: false);
            throw new BackendStartException($"Backend {backend.Id} did not answer on {backend.Address} within {ReadyTimeout.TotalSeconds:0} s. {backend.LastOutputLine}".TrimEnd());
        }

        if (backend.State != BackendState.Running)
        {
            throw new BackendStartException($"Backend {backend.Id} exited before it was ready on {backend.Address}: {Describe(backend.LastOutputLine)}");
        }
    }

    /// <summary>Replicated mode: tells a starting backend which of the others to join (those running now).</summary>
    private Action<System.Diagnostics.ProcessStartInfo> PreparePeers(BackendProcess backend) => startInfo =>
        _peers.HandDownTo(startInfo, backend.Id, Backends.Where(b => b != backend && b.State == BackendState.Running).Select(b => b.Id));

    /// <summary>
    /// A replicated backend is ready only once it has joined the others and holds their sessions
    /// (healthy); until then it answers 503 with its report.
    /// </summary>
    private bool IsReady(HealthResponse report) => _options.Store != StoreMode.Replicated || report.Status == HealthStatus.Healthy;

    private static string Describe(string lastLine) => lastLine.Length == 0 ? "it printed nothing." : lastLine;

    private void KillAll()
    {
        foreach (var backend in Backends)
        {
            backend.TryKill(onRequest: false);
        }
    }

    public void Dispose()
    {
        foreach (var backend in Backends)
        {
            backend.Dispose();
        }
    }
}
