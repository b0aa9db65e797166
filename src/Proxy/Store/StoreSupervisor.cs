using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Processes;
using StickyLb.Shared;

namespace StickyLb.Proxy.Store;

/// <summary>
/// The shared session store of redis mode. With <c>--redis</c> (a StackExchange.Redis configuration
/// string) it only checks that the store answers and takes the credentials. Without it, it starts one
/// on 127.0.0.1 (<c>redis-server</c> from PATH, else Garnet from the repository's .NET local tool
/// manifest, <see cref="EmbeddedStoreServer"/>) before the backends start, with an append-only file in a data
/// directory it names at start-up, starts it again on that directory with backoff when it dies (so its sessions
/// come back, all but the changes of the last second), and stops it on exit.
/// </summary>
internal sealed class StoreSupervisor(IOptions<GatewayOptions> options, ILogger<StoreSupervisor> logger) : IHostedService, IDisposable
{
    /// <summary>How long the store may take to answer its first <c>PING</c>.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a store given with <c>--redis</c> may take to answer at start-up.</summary>
    private static readonly TimeSpan ExternalTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long after the embedded store dies it is started again; doubled after each failed attempt.</summary>
    public static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    private readonly GatewayOptions _options = options.Value;
    private readonly ProcessOutputTail _output = new(logger.StoreOutput);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopped = new();
    private ProcessStartInfo? _startInfo;
    private ChildProcess? _process;

    // The running store's own children: `dotnet garnet-server` runs Garnet in a child process, which
    // outlives its parent if only the parent is killed, and must not hold the port against the restart.
    private int[] _children = [];
    private volatile bool _stopping;

    // 1 while the running store answers. An exit before that is a failed start, reported as such; an exit
    // after it is an outage: the store is started again (the one place that clears this flag does it).
    private int _ready;

    /// <summary>The store's <c>host:port</c> (several, comma-separated, for several endpoints) once started; null in memory mode. Never a password.</summary>
    public string? Endpoint { get; private set; }

    /// <summary>The configuration string the gateway connects with (<c>--redis</c> as given, password included); null in memory mode.</summary>
    internal string? Configuration { get; private set; }

    /// <summary>
    /// The configuration string the backends connect with: <see cref="Configuration"/>, except for an embedded
    /// redis-server, whose Unix socket they use (<c>!path</c>, StackExchange.Redis's spelling) when it answered at
    /// start-up: a round trip over it costs the backend less kernel time than over loopback TCP (2-4 µs per request,
    /// bench/stores-cost-results.md). Null in memory mode.
    /// </summary>
    internal string? BackendConfiguration { get; private set; }

    /// <summary>What runs the store: <c>redis-server</c>, <c>garnet</c> or <c>external</c>; null in memory mode.</summary>
    public string? Kind { get; private set; }

    /// <summary>The embedded store's data directory (its append-only file), full path; null for an external store and in memory mode.</summary>
    public string? DataDirectory { get; private set; }

    // True when the data directory is the default one, the gateway's own: emptied at start, removed at stop.
    private bool _ownsDataDirectory;

    /// <summary>Whether the embedded store runs and answers now (false while it is being started again).</summary>
    public bool IsEmbeddedStoreReady => Volatile.Read(ref _ready) == 1 && Volatile.Read(ref _process) is { HasExited: false };

    /// <summary>The embedded store's process id (the launcher's, for Garnet), or null.</summary>
    public int? EmbeddedStorePid => Volatile.Read(ref _process)?.Id;

    /// <summary>
    /// SIGKILLs the embedded store, its server included (a crash, as <c>compare</c>'s store-killed setup
    /// stages it); the supervisor then starts it again on its data directory. False without one running.
    /// </summary>
    public bool KillEmbeddedStore()
    {
        lock (_gate)
        {
            if (_stopping || _process is not { HasExited: false } process)
            {
                return false;
            }

            // The whole tree at once: Garnet's launcher and its server die together, as in a crash.
            return process.Kill(entireProcessTree: true);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Store != StoreMode.Redis)
        {
            return;
        }

        if (_options.Redis is { } external)
        {
            (Kind, Endpoint, Configuration, BackendConfiguration) = ("external", StoreConfiguration.Endpoints(StoreConfiguration.Parse(external)), external, external);
            switch (await StoreProbe.PingAsync(external, ExternalTimeout, cancellationToken))
            {
                case StoreAnswer.Answers:
                    return;
                case StoreAnswer.RefusesCredentials:
                    throw new StoreStartException($"The store at {Endpoint} (--redis) refused the credentials it was given; check password= and user= in --redis.");
                case StoreAnswer.Silent:
                    throw new StoreStartException($"The store at {Endpoint} (--redis) does not answer PING; start it or point --redis elsewhere.");
                default:
                    throw new UnreachableException();
            }
        }

        Endpoint = $"127.0.0.1:{_options.StorePort.ToString(CultureInfo.InvariantCulture)}";
        Configuration = Endpoint;
        if (await StoreProbe.PingAsync(Configuration, TimeSpan.FromMilliseconds(300), cancellationToken) != StoreAnswer.Silent)
        {
            throw new StoreStartException($"Something already answers on {Endpoint}; stop it, pass it with --redis {Endpoint}, or choose --store-port.");
        }

        DataDirectory = PrepareDataDirectory();
        (Kind, _startInfo, var socket) = await EmbeddedStoreServer.ChooseAsync(_options.StorePort, DataDirectory, cancellationToken);
        var process = Start(_startInfo) ?? throw new OperationCanceledException(cancellationToken);
        if (await WaitUntilReadyAsync(process, cancellationToken) is { } reason)
        {
            throw new StoreStartException($"The embedded store ({Kind}) could not start on {Endpoint}: {reason}".TrimEnd());
        }

        // The socket is made with the TCP listener; should it not answer, the backends use TCP like the gateway.
        BackendConfiguration = socket is not null && await StoreProbe.PingAsync("!" + socket, TimeSpan.FromMilliseconds(500), cancellationToken) == StoreAnswer.Answers
            ? "!" + socket
            : Configuration;

        logger.EmbeddedStoreStarted(Kind, Endpoint, process.Id, DataDirectory);
        MarkReady(process);
    }

    /// <summary>
    /// The data directory, created: <c>--store-dir</c> as given (kept: the store recovers what it holds), else
    /// the gateway's own <c>stickylb-store-PORT</c> in the temporary folder, emptied first so that each gateway
    /// run starts with an empty store. Only the store's port names it, and start-up has just checked that
    /// nothing answers there, so no running gateway's store is in it.
    /// </summary>
    private string PrepareDataDirectory()
    {
        _ownsDataDirectory = string.IsNullOrWhiteSpace(_options.StoreDir);
        var directory = Path.GetFullPath(_ownsDataDirectory
            ? Path.Combine(Path.GetTempPath(), $"stickylb-store-{_options.StorePort.ToString(CultureInfo.InvariantCulture)}")
            : _options.StoreDir!);
        try
        {
            if (_ownsDataDirectory && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
            return directory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreStartException($"The embedded store's data directory {directory} cannot be used: {ex.Message} Choose another with --store-dir.", ex);
        }
    }

    /// <summary>
    /// Waits until <paramref name="process"/> answers <c>PING</c>, then warms it up with the commands the
    /// backends will send (<see cref="StoreProbe.WarmUpAsync"/>): null, or why it is not ready.
    /// </summary>
    private async Task<string?> WaitUntilReadyAsync(ChildProcess process, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (await StoreProbe.PingAsync(Configuration!, TimeSpan.FromMilliseconds(500), cancellationToken) != StoreAnswer.Answers)
        {
            if (process.HasExited || stopwatch.Elapsed > ReadyTimeout)
            {
                var reason = process.HasExited ? $"it exited with code {process.ExitCode}" : $"it did not answer within {ReadyTimeout.TotalSeconds:0} s";
                return $"{reason}. {_output.LastLine}";
            }

            await Task.Delay(50, cancellationToken);
        }

        try
        {
            await StoreProbe.WarmUpAsync(Configuration!, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return $"it answers PING but failed the session commands: {ex.Message}";
        }
    }

    /// <summary>From now on an exit of <paramref name="process"/> is an outage, to restart from; it may already be one.</summary>
    private void MarkReady(ChildProcess process)
    {
        _children = ProcessTree.Descendants(process.Id);
        Volatile.Write(ref _ready, 1);
        if (process.HasExited)
        {
            OnExited(process);
        }
    }

    private void OnExited(ChildProcess process)
    {
        if (_stopping || !ReferenceEquals(process, Volatile.Read(ref _process)) || Interlocked.Exchange(ref _ready, 0) == 0)
        {
            return;
        }

        logger.EmbeddedStoreExited(Kind!, process.Id, process.ExitCode, RestartDelay);
        foreach (var child in _children)
        {
            ProcessTree.Kill(child);
        }

        _ = RestartAsync();
    }

    /// <summary>
    /// Starts the embedded store again on the same port and data directory after it died, until it answers or
    /// the gateway stops. It recovers its sessions from its append-only file: only changes of its last second
    /// may be gone.
    /// </summary>
    private async Task RestartAsync()
    {
        var delay = RestartDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, _stopped.Token);
                string? failure;
                ChildProcess? process = null;
                try
                {
                    process = Start(_startInfo!);
                    if (process is null)
                    {
                        return;
                    }

                    failure = await WaitUntilReadyAsync(process, _stopped.Token);
                }
                catch (StoreStartException ex)
                {
                    // The log line already says the store could not be started: only the cause.
                    failure = (ex.InnerException ?? ex).Message;
                }

                if (failure is null)
                {
                    logger.EmbeddedStoreRestarted(Kind!, Endpoint!, process!.Id, DataDirectory!);
                    MarkReady(process);
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
                logger.EmbeddedStoreRestartFailed(Kind!, failure.TrimEnd(), delay);
                process?.KillAndWait(KillTimeout);
            }
        }
        catch (OperationCanceledException)
        {
            // The gateway is stopping.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }

    /// <summary>Starts the store's process; null when the gateway is stopping.</summary>
    private ChildProcess? Start(ProcessStartInfo startInfo)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return null;
            }

            ChildProcess process;
            try
            {
                process = ChildProcess.Start(startInfo, _output, OnExited);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                throw new StoreStartException($"The embedded store ({Kind}) could not be started: {ex.Message}", ex);
            }

            var previous = _process;
            Volatile.Write(ref _process, process);
            previous?.Dispose();
            return process;
        }
    }

    private void Stop()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            _stopped.Cancel();
            _process?.KillAndWait(KillTimeout);
            RemoveOwnDataDirectory();
        }
    }

    /// <summary>Removes the gateway's own data directory once its store is gone; a <c>--store-dir</c> is kept.</summary>
    private void RemoveOwnDataDirectory()
    {
        if (!_ownsDataDirectory || DataDirectory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing lost: the next gateway on this port empties the directory anyway.
            logger.DataDirectoryNotRemoved(DataDirectory, ex.Message);
        }
    }
}
