using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Shared;

namespace StickyLb.Proxy.Store;

/// <summary>
/// The shared session store of redis mode. With <c>--redis</c> (a StackExchange.Redis configuration
/// string) it only checks that the store answers and takes the credentials. Without it, it starts one
/// on 127.0.0.1 (<c>redis-server</c> from PATH, else Garnet from the repository's .NET local tool
/// manifest) before the backends start, and stops it on exit.
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

    private readonly GatewayOptions _options = options.Value;
    private readonly ProcessOutputTail _output = new(logger.StoreOutput);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopped = new();
    private ProcessStartInfo? _startInfo;
    private Process? _process;

    // The running store's own children: `dotnet garnet-server` runs Garnet in a child process, which
    // outlives its parent if only the parent is killed, and must not hold the port against the restart.
    private int[] _children = [];
    private volatile bool _stopping;

    // 1 while the running store answers. An exit before that is a failed start, reported as such; an exit
    // after it is an outage: the store is started again (the one place that clears this flag does it).
    private int _ready;

    /// <summary>The store's <c>host:port</c> (several, comma-separated, for several endpoints) once started; null in memory mode. Never a password.</summary>
    public string? Endpoint { get; private set; }

    /// <summary>The configuration string the backends connect with (<c>--redis</c> as given, password included); null in memory mode.</summary>
    internal string? Configuration { get; private set; }

    /// <summary>What runs the store: <c>redis-server</c>, <c>garnet</c> or <c>external</c>; null in memory mode.</summary>
    public string? Kind { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Store != StoreMode.Redis)
        {
            return;
        }

        if (_options.Redis is { } external)
        {
            (Kind, Endpoint, Configuration) = ("external", StoreConfiguration.Endpoints(StoreConfiguration.Parse(external)), external);
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

        var redisServer = FindOnPath("redis-server");
        if (redisServer is not null)
        {
            Kind = "redis-server";
            _startInfo = new ProcessStartInfo(redisServer)
            {
                ArgumentList = { "--port", _options.StorePort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            };
        }
        else
        {
            Kind = "garnet";
            await RestoreToolsAsync(cancellationToken);
            _startInfo = new ProcessStartInfo(DotnetHost.Path)
            {
                ArgumentList = { "garnet-server", "--port", _options.StorePort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "-m", "256m" },
            };
        }

        var process = Start(_startInfo) ?? throw new OperationCanceledException(cancellationToken);
        if (await WaitUntilReadyAsync(process, cancellationToken) is { } reason)
        {
            throw new StoreStartException($"The embedded store ({Kind}) could not start on {Endpoint}: {reason}".TrimEnd());
        }

        logger.EmbeddedStoreStarted(Kind, Endpoint, process.Id);
        MarkReady(process);
    }

    /// <summary>
    /// Waits until <paramref name="process"/> answers <c>PING</c>, then warms it up with the commands the
    /// backends will send (<see cref="StoreProbe.WarmUpAsync"/>): null, or why it is not ready.
    /// </summary>
    private async Task<string?> WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
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
    private void MarkReady(Process process)
    {
        _children = ChildProcesses(process.Id);
        Volatile.Write(ref _ready, 1);
        if (process.HasExited)
        {
            OnExited(process);
        }
    }

    private void OnExited(Process process)
    {
        if (_stopping || !ReferenceEquals(process, Volatile.Read(ref _process)) || Interlocked.Exchange(ref _ready, 0) == 0)
        {
            return;
        }

        logger.EmbeddedStoreExited(Kind!, process.Id, process.ExitCode, RestartDelay);
        foreach (var child in _children)
        {
            KillOrphan(child);
        }

        _ = RestartAsync();
    }

    /// <summary>The processes <paramref name="pid"/> started, and theirs, from /proc (none elsewhere).</summary>
    private static int[] ChildProcesses(int pid)
    {
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var parent))
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var id = int.Parse(child, CultureInfo.InvariantCulture);
                        found.Add(id);
                        queue.Enqueue(id);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or no /proc here.
            }
        }

        return [.. found];
    }

    private static void KillOrphan(int pid)
    {
        try
        {
            using var orphan = Process.GetProcessById(pid);
            Kill(orphan);
        }
        catch (ArgumentException)
        {
            // Already gone with its parent.
        }
    }

    /// <summary>
    /// Starts the embedded store again on the same port after it died, until it answers or the gateway
    /// stops. It keeps nothing on disk, so the sessions it held are gone: users find themselves logged out.
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
                Process? process = null;
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
                    logger.EmbeddedStoreRestarted(Kind!, Endpoint!, process!.Id);
                    MarkReady(process);
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
                logger.EmbeddedStoreRestartFailed(Kind!, failure.TrimEnd(), delay);
                Kill(process);
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
    private Process? Start(ProcessStartInfo startInfo)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        // The tool manifest is found by walking up from the working directory: the gateway's
        // output folder lies inside the repository.
        startInfo.WorkingDirectory = AppContext.BaseDirectory;
        DotnetHost.HandDownTo(startInfo);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => _output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => _output.Add(e.Data);
        process.Exited += (_, _) => OnExited(process);
        lock (_gate)
        {
            if (_stopping)
            {
                process.Dispose();
                return null;
            }

            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                process.Dispose();
                throw new StoreStartException($"The embedded store ({Kind}) could not be started: {ex.Message}", ex);
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var previous = _process;
            Volatile.Write(ref _process, process);
            previous?.Dispose();
        }

        return process;
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
            Kill(_process);
        }
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
    }

    private static async Task RestoreToolsAsync(CancellationToken cancellationToken)
    {
        using var restore = Process.Start(new ProcessStartInfo(DotnetHost.Path, "tool restore")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = restore.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = restore.StandardError.ReadToEndAsync(cancellationToken);
        await restore.WaitForExitAsync(cancellationToken);
        if (restore.ExitCode != 0)
        {
            var detail = ((await errors).Trim() + " " + (await output).Trim()).Trim().Split('\n')[0];
            throw new StoreStartException($"redis-server is not on PATH and Garnet could not be restored with 'dotnet tool restore': {detail}");
        }
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
