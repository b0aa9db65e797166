using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Store;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A real Redis-protocol server for store tests: redis-server (when it is on PATH) or Garnet (from
/// the repository's tool manifest), on a free port, persisting every write, so that a test can kill
/// it with SIGKILL and start it again with its data, or hang it with SIGSTOP.
/// </summary>
internal sealed class StoreServer : IAsyncDisposable
{
    public const string Redis = "redis-server";
    public const string Garnet = "garnet";

    private static readonly Lazy<Task> ToolsRestored = new(RestoreToolsAsync);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("stickylb-store-").FullName;
    private Process? _process;

    private StoreServer(string kind, string? password)
    {
        Kind = kind;
        Password = password;
        Port = FreePorts.Next();
    }

    public string Kind { get; }

    public int Port { get; }

    /// <summary>The password the server requires (redis-server's <c>--requirepass</c>), or null.</summary>
    public string? Password { get; }

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What <c>--redis</c> takes to reach this server: its endpoint, and its password if it has one.</summary>
    public string Configuration => Password is null ? Endpoint : $"{Endpoint},password={Password}";

    /// <summary>The servers this machine can run: Garnet always, redis-server when it is on PATH.</summary>
    public static TheoryData<string> Kinds()
    {
        var kinds = new TheoryData<string> { Garnet };
        if (IsRedisServerInstalled)
        {
            kinds.Add(Redis);
        }

        return kinds;
    }

    /// <summary>
    /// The environment that makes a gateway's embedded store <paramref name="kind"/>: without redis-server
    /// on PATH (an empty one) the gateway falls back to Garnet from the tool manifest.
    /// </summary>
    public static Dictionary<string, string> EmbeddedEnvironment(string kind) =>
        kind == Garnet ? new() { ["PATH"] = Directory.CreateTempSubdirectory("stickylb-empty-path-").FullName } : [];

    public static bool IsRedisServerInstalled => EmbeddedStoreServer.FindOnPath("redis-server") is not null;

    /// <param name="password">A password the server requires of its clients; null for none.</param>
    public static async Task<StoreServer> StartAsync(string kind, string? password = null)
    {
        var server = new StoreServer(kind, password);
        try
        {
            await server.RestartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new connection to this server, to look at what the code under test wrote.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { Endpoint }, Password = Password, AllowAdmin = true, SyncTimeout = 5000, AsyncTimeout = 5000 });

    /// <summary>
    /// SIGSTOP, and the wait until every thread has stopped: the server hangs with its connections open, as an
    /// overloaded or swapping one does. <see cref="Resume"/> undoes it.
    /// </summary>
    public async Task PauseAsync()
    {
        foreach (var pid in SignalAll(Posix.SigStop))
        {
            if (!await Posix.WaitUntilStoppedAsync(pid, TimeSpan.FromSeconds(5)))
            {
                throw new TimeoutException($"Store process {pid} did not stop within 5 s of SIGSTOP.");
            }
        }
    }

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public void Resume() => _ = SignalAll(Posix.SigCont);

    /// <summary>Signals the server and its descendants: <c>dotnet garnet-server</c> runs Garnet as a child.</summary>
    private List<int> SignalAll(int signal)
    {
        var process = _process ?? throw new InvalidOperationException("The server is not running.");
        var pids = RunningProcesses.DescendantsOf(process.Id).Select(p => p.Pid).Prepend(process.Id).ToList();
        foreach (var pid in pids)
        {
            Posix.Signal(pid, signal);
        }

        return pids;
    }

    /// <summary>SIGKILL: what a crash does. The whole tree: <c>dotnet garnet-server</c> runs Garnet as a child.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server (again, with the data it had) and waits until it answers PING and has run the session commands once.</summary>
    public async Task RestartAsync()
    {
        Kill();
        ProcessStartInfo startInfo;
        var port = Port.ToString(CultureInfo.InvariantCulture);
        if (Kind == Redis)
        {
            startInfo = new ProcessStartInfo(EmbeddedStoreServer.FindOnPath("redis-server")!)
            {
                ArgumentList = { "--port", port, "--bind", "127.0.0.1", "--dir", _dataDirectory, "--save", "", "--appendonly", "yes", "--appendfsync", "always" },
            };
            if (Password is not null)
            {
                startInfo.ArgumentList.Add("--requirepass");
                startInfo.ArgumentList.Add(Password);
            }
        }
        else
        {
            await ToolsRestored.Value;
            startInfo = new ProcessStartInfo(GatewayProcess.DotnetHost())
            {
                ArgumentList =
                {
                    "garnet-server", "--port", port, "--bind", "127.0.0.1", "-m", "256m",
                    // Every write committed to the append-only file before it is acknowledged, as redis-server's
                    // appendfsync always: without --aof-commit-wait Garnet answers first, and a SIGKILL right after
                    // can lose an acknowledged write (a CI failure: a cart item written before the kill was gone).
                    "--aof", "--aof-commit-freq", "0", "--aof-commit-wait", "--checkpointdir", _dataDirectory, "--recover",
                    // The native device needs libaio, which a fresh Debian machine does not have.
                    "--device-type", "RandomAccess",
                },
                WorkingDirectory = AppContext.BaseDirectory,
            };
            if (Password is not null)
            {
                startInfo.ArgumentList.Add("--auth");
                startInfo.ArgumentList.Add("Password");
                startInfo.ArgumentList.Add("--password");
                startInfo.ArgumentList.Add(Password);
            }
        }

        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        _process = Process.Start(startInfo)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await Eventually.TrueAsync(
            async () => await StoreProbe.PingAsync(Configuration, TimeSpan.FromSeconds(1), CancellationToken.None) == StoreAnswer.Answers
                || (_process.HasExited ? throw new InvalidOperationException($"{Kind} exited before it answered on {Endpoint}.") : false),
            TimeSpan.FromSeconds(60),
            () => $"{Kind} did not start on {Endpoint}.");

        // Ready as the gateway makes its embedded store ready: a cold Garnet's first commands can take longer
        // than the fail-fast client waits (500 ms), which a test would mistake for an outage.
        await StoreProbe.WarmUpAsync(Configuration, CancellationToken.None);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying server; the temp folder is cleaned up eventually.
        }

        return ValueTask.CompletedTask;
    }

    private static async Task RestoreToolsAsync()
    {
        using var restore = Process.Start(new ProcessStartInfo(GatewayProcess.DotnetHost(), "tool restore")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await restore.StandardOutput.ReadToEndAsync() + await restore.StandardError.ReadToEndAsync();
        await restore.WaitForExitAsync();
        if (restore.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet tool restore failed: " + output);
        }
    }
}
