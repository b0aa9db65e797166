using System.Diagnostics;
using System.Globalization;
using StickyLb.BackendApp.Redis;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A real Redis-protocol server for store tests: redis-server (when it is on PATH) or Garnet (from
/// the repository's tool manifest), on a free port, persisting every write, so that a test can kill
/// it with SIGKILL and start it again with its data.
/// </summary>
internal sealed class StoreServer : IAsyncDisposable
{
    public const string Redis = "redis-server";
    public const string Garnet = "garnet";

    private static readonly Lazy<Task> ToolsRestored = new(RestoreToolsAsync);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("stickylb-store-").FullName;
    private Process? _process;

    private StoreServer(string kind)
    {
        Kind = kind;
        Port = FreePorts.Next();
    }

    public string Kind { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

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

    public static bool IsRedisServerInstalled => StickyLb.Proxy.Store.StoreSupervisor.FindOnPath("redis-server") is not null;

    public static async Task<StoreServer> StartAsync(string kind)
    {
        var server = new StoreServer(kind);
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

    /// <summary>A new connection to this server.</summary>
    public RespConnection Connect() => new(Endpoint, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

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

    /// <summary>Starts the server (again, with the data it had) and waits until it answers PING.</summary>
    public async Task RestartAsync()
    {
        Kill();
        ProcessStartInfo startInfo;
        var port = Port.ToString(CultureInfo.InvariantCulture);
        if (Kind == Redis)
        {
            startInfo = new ProcessStartInfo(StickyLb.Proxy.Store.StoreSupervisor.FindOnPath("redis-server")!)
            {
                ArgumentList = { "--port", port, "--bind", "127.0.0.1", "--dir", _dataDirectory, "--save", "", "--appendonly", "yes", "--appendfsync", "always" },
            };
        }
        else
        {
            await ToolsRestored.Value;
            startInfo = new ProcessStartInfo(GatewayProcess.DotnetHost())
            {
                ArgumentList =
                {
                    "garnet-server", "--port", port, "--bind", "127.0.0.1", "-m", "256m",
                    "--aof", "--aof-commit-freq", "0", "--checkpointdir", _dataDirectory, "--recover",
                    // The native device needs libaio, which a fresh Debian machine does not have.
                    "--device-type", "RandomAccess",
                },
                WorkingDirectory = AppContext.BaseDirectory,
            };
        }

        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        _process = Process.Start(startInfo)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var stopwatch = Stopwatch.StartNew();
        while (!await StickyLb.Proxy.Store.StoreSupervisor.AnswersPingAsync(Endpoint, TimeSpan.FromSeconds(1), CancellationToken.None))
        {
            if (_process.HasExited || stopwatch.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"{Kind} did not start on {Endpoint}.");
            }

            await Task.Delay(25);
        }
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
