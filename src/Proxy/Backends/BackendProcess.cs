using System.Diagnostics;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Processes;
using StickyLb.Proxy.Store;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// One supervised BackendApp process: starts it, kills it (SIGKILL, as a crash would), and notices
/// when it dies by other hands, taking it out of rotation at once.
/// </summary>
internal sealed class BackendProcess : IDisposable
{
    private readonly GatewayOptions _options;
    private readonly DestinationHealthSignal _health;
    private readonly StoreSupervisor _store;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ProcessOutputTail _output;
    private ChildProcess? _process;
    private BackendState _state = BackendState.Stopped;
    private bool _killRequested;

    internal BackendProcess(string id, Uri address, GatewayOptions options, DestinationHealthSignal health, StoreSupervisor store, ILogger logger)
    {
        _store = store;
        Id = id;
        Address = address;
        _options = options;
        _health = health;
        _logger = logger;
        _output = new ProcessOutputTail(line => logger.BackendOutput(id, line));
    }

    /// <summary>The backend's id, the same as its YARP destination id.</summary>
    public string Id { get; }

    /// <summary>Where the backend listens.</summary>
    public Uri Address { get; }

    public BackendState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The process id while a process exists, else null.</summary>
    public int? Pid
    {
        get
        {
            lock (_gate)
            {
                return _state == BackendState.Stopped ? null : _process?.Id;
            }
        }
    }

    /// <summary>The last line the process wrote, for start-up errors; empty if none.</summary>
    public string LastOutputLine => _output.LastLine;

    /// <summary>Starts the process unless one is already running; false when it is.</summary>
    /// <param name="prepare">Completes the start info just before the start (replicated mode's peers).</param>
    internal bool TryStart(Action<ProcessStartInfo>? prepare = null)
    {
        lock (_gate)
        {
            if (_state != BackendState.Stopped)
            {
                return false;
            }

            _process?.Dispose();
            var startInfo = BackendLauncher.CreateStartInfo(Id, Address, _options, _store.BackendConfiguration);
            prepare?.Invoke(startInfo);
            ChildProcess process;
            try
            {
                process = ChildProcess.Start(startInfo, _output, OnExited);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                throw new BackendStartException($"Backend {Id} could not be started: {ex.Message}", ex);
            }

            _process = process;
            _state = BackendState.Starting;
            _killRequested = false;
            return true;
        }
    }

    /// <summary>Records that the process answered its readiness probe.</summary>
    internal void MarkReady()
    {
        int pid;
        lock (_gate)
        {
            if (_state != BackendState.Starting || _process is null)
            {
                return;
            }

            _state = BackendState.Running;
            pid = _process.Id;
        }

        _health.MarkUp(Id);
        _logger.BackendStarted(Id, Address, pid);
    }

    /// <summary>Kills the process with SIGKILL, as a crash would; false when there is none.</summary>
    /// <param name="onRequest">True for a kill asked through the admin API (logged); false for shutdown.</param>
    internal bool TryKill(bool onRequest = true)
    {
        ChildProcess process;
        lock (_gate)
        {
            if (_state == BackendState.Stopped || _process is null)
            {
                return false;
            }

            // SIGKILL cannot be refused: the backend is stopped from here on, even before the
            // process is reaped, and a start may follow at once.
            _killRequested = true;
            _state = BackendState.Stopped;
            process = _process;
        }

        // Out of rotation before the process dies, so that no request is sent to a dying backend.
        _health.MarkDown(Id);
        // False when it exited on its own in the meantime; the exit handler records that.
        if (process.Kill() && onRequest)
        {
            _logger.BackendKilled(Id, process.Id);
        }

        return true;
    }

    /// <summary>Waits until the current process has exited.</summary>
    internal async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        ChildProcess? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is not null)
        {
            await process.WaitForExitAsync(cancellationToken);
        }
    }

    private void OnExited(ChildProcess process)
    {
        bool unexpected;
        lock (_gate)
        {
            if (!ReferenceEquals(process, _process) || _state == BackendState.Stopped)
            {
                return;
            }

            _state = BackendState.Stopped;
            unexpected = !_killRequested;
        }

        _health.MarkDown(Id);
        if (unexpected)
        {
            _logger.BackendCrashed(Id, process.Id, process.ExitCode);
        }
    }

    public void Dispose()
    {
        TryKill(onRequest: false);
        lock (_gate)
        {
            _process?.Dispose();
        }
    }
}
