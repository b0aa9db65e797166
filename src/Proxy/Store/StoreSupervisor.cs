using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Redis;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Store;

/// <summary>
/// The shared session store of redis mode. With <c>--redis host:port</c> it only checks that the
/// server answers. Without it, it starts one on 127.0.0.1 (<c>redis-server</c> from PATH, else Garnet
/// from the repository's .NET local tool manifest) before the backends start, and stops it on exit.
/// </summary>
public sealed class StoreSupervisor(IOptions<GatewayOptions> options, ILogger<StoreSupervisor> logger) : IHostedService, IDisposable
{
    /// <summary>How long the store may take to answer its first <c>PING</c>.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly GatewayOptions _options = options.Value;
    private readonly ProcessOutputTail _output = new(logger.StoreOutput);
    private Process? _process;
    private volatile bool _stopping;

    // Set once the store answered: an exit before that is a failed start, reported as such, not an outage.
    private volatile bool _ready;

    /// <summary>The store's <c>host:port</c> once started; null in memory mode.</summary>
    public string? Endpoint { get; private set; }

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
            (Kind, Endpoint) = ("external", external);
            if (!await AnswersPingAsync(external, TimeSpan.FromSeconds(3), cancellationToken))
            {
                throw new StoreStartException($"The store at {external} (--redis) does not answer PING; start it or point --redis elsewhere.");
            }

            return;
        }

        Endpoint = $"127.0.0.1:{_options.StorePort.ToString(CultureInfo.InvariantCulture)}";
        if (await AnswersPingAsync(Endpoint, TimeSpan.FromMilliseconds(300), cancellationToken))
        {
            throw new StoreStartException($"Something already answers on {Endpoint}; stop it, pass it with --redis {Endpoint}, or choose --store-port.");
        }

        var redisServer = FindOnPath("redis-server");
        if (redisServer is not null)
        {
            Kind = "redis-server";
            Start(new ProcessStartInfo(redisServer)
            {
                ArgumentList = { "--port", _options.StorePort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            });
        }
        else
        {
            Kind = "garnet";
            await RestoreToolsAsync(cancellationToken);
            Start(new ProcessStartInfo(DotnetHost.Path)
            {
                ArgumentList = { "garnet-server", "--port", _options.StorePort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "-m", "256m" },
            });
        }

        var stopwatch = Stopwatch.StartNew();
        while (!await AnswersPingAsync(Endpoint, TimeSpan.FromMilliseconds(500), cancellationToken))
        {
            if (_process!.HasExited || stopwatch.Elapsed > ReadyTimeout)
            {
                var reason = _process.HasExited ? $"it exited with code {_process.ExitCode}" : $"it did not answer within {ReadyTimeout.TotalSeconds:0} s";
                throw new StoreStartException($"The embedded store ({Kind}) could not start on {Endpoint}: {reason}. {_output.LastLine}".TrimEnd());
            }

            await Task.Delay(50, cancellationToken);
        }

        _ready = true;
        logger.EmbeddedStoreStarted(Kind, Endpoint, _process!.Id);
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

    private void Start(ProcessStartInfo startInfo)
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
        process.Exited += (_, _) =>
        {
            if (_ready && !_stopping)
            {
                logger.EmbeddedStoreExited(Kind!, process.Id, process.ExitCode);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new StoreStartException($"The embedded store ({Kind}) could not be started: {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private void Stop()
    {
        _stopping = true;
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
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

    /// <summary>Whether a Redis-protocol server answers <c>PING</c> at <paramref name="endpoint"/> in time.</summary>
    public static async Task<bool> AnswersPingAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var connection = new RespConnection(endpoint, timeout, timeout);
        return await connection.AnswersPingAsync(timeout, cancellationToken);
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);

}
