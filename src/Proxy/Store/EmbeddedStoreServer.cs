using System.Diagnostics;
using System.Globalization;
using StickyLb.Proxy.Processes;

namespace StickyLb.Proxy.Store;

/// <summary>
/// Which server the embedded store runs and how it is started: <c>redis-server</c> from PATH, else Garnet
/// from the repository's .NET local tool manifest (restored first), on 127.0.0.1 (redis-server also on a Unix socket
/// in its data directory, which the backends use), each with an append-only
/// file in the data directory it is given, committed about once a second, and recovering from it when it
/// starts: a SIGKILL of the store loses at most the changes of its last second.
/// </summary>
internal static class EmbeddedStoreServer
{
    /// <summary>How often Garnet checkpoints its store, in seconds: a checkpoint lets it truncate its append-only file, which otherwise grows for ever.</summary>
    private const string GarnetCheckpointSeconds = "60";

    /// <summary>The Unix socket's file name in the data directory.</summary>
    public const string UnixSocketFileName = "redis.sock";

    /// <summary>The longest Unix socket path used, in bytes: Linux allows 107 and a NUL.</summary>
    public const int MaxUnixSocketPathBytes = 100;

    /// <summary>
    /// The server's name (<c>redis-server</c> or <c>garnet</c>), how to start it on <paramref name="port"/>
    /// with its data in <paramref name="dataDirectory"/>, and the Unix socket it also listens on (null for none).
    /// </summary>
    public static async Task<(string Kind, ProcessStartInfo StartInfo, string? UnixSocket)> ChooseAsync(int port, string dataDirectory, CancellationToken cancellationToken)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        if (FindOnPath("redis-server") is { } redisServer)
        {
            // appendfsync everysec: each change is written to the file before its reply (so a crash of the
            // process alone loses nothing), fsynced once a second (so a crash of the machine loses at most that
            // second). No RDB snapshots: the AOF (with its RDB preamble after a rewrite) is the one copy.
            var startInfo = new ProcessStartInfo(redisServer)
            {
                ArgumentList =
                {
                    "--port", portText, "--bind", "127.0.0.1", "--dir", dataDirectory,
                    "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                },
                WorkingDirectory = AppContext.BaseDirectory,
            };

            // Also a Unix socket, for the backends (StoreSupervisor.BackendConfiguration): a round trip over it costs
            // both ends less CPU than over loopback TCP (bench/stores-cost-results.md). Only this user may connect.
            var socket = UnixSocketPath(dataDirectory);
            if (socket is not null)
            {
                startInfo.ArgumentList.Add("--unixsocket");
                startInfo.ArgumentList.Add(socket);
                startInfo.ArgumentList.Add("--unixsocketperm");
                startInfo.ArgumentList.Add("700");
            }

            return ("redis-server", startInfo, socket);
        }

        await RestoreToolsAsync(cancellationToken);
        // The tool manifest is found by walking up from the working directory: the gateway's output
        // folder lies inside the repository. Garnet's AOF commits once a second (--aof-commit-freq 1000:
        // a SIGKILL loses at most that second; committing every operation halved its throughput at 16
        // clients on this project's machine), lives under --checkpointdir with the periodic checkpoints,
        // and is replayed at start (--recover). Its native storage device needs libaio, which Debian 12
        // lacks under the name it looks for: the managed RandomAccess device works everywhere.
        return ("garnet", new ProcessStartInfo(DotnetHost.Path)
        {
            ArgumentList =
            {
                "garnet-server", "--port", portText, "--bind", "127.0.0.1", "-m", "256m",
                "--aof", "--aof-commit-freq", "1000", "--checkpointdir", dataDirectory, "--checkpoint-freq", GarnetCheckpointSeconds,
                "--device-type", "RandomAccess", "--recover",
            },
            WorkingDirectory = AppContext.BaseDirectory,
        }, null);
    }

    /// <summary>
    /// The Unix socket's path in <paramref name="dataDirectory"/>, or null where one cannot be: Windows, a path too long
    /// for a socket, or one a StackExchange.Redis configuration string cannot hold (a comma, <c>=</c> or a space).
    /// </summary>
    internal static string? UnixSocketPath(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, UnixSocketFileName);
        return OperatingSystem.IsWindows() || System.Text.Encoding.UTF8.GetByteCount(path) > MaxUnixSocketPathBytes
            || path.AsSpan().IndexOfAny(",= ") >= 0
            ? null
            : path;
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);

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
}
