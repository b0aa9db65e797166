using System.Diagnostics;
using System.Globalization;
using StickyLb.Proxy.Processes;

namespace StickyLb.Proxy.Store;

/// <summary>
/// Which server the embedded store runs and how it is started: <c>redis-server</c> from PATH, else Garnet
/// from the repository's .NET local tool manifest (restored first), on 127.0.0.1, each with an append-only
/// file in the data directory it is given, committed about once a second, and recovering from it when it
/// starts: a SIGKILL of the store loses at most the changes of its last second.
/// </summary>
internal static class EmbeddedStoreServer
{
    /// <summary>How often Garnet checkpoints its store, in seconds: a checkpoint lets it truncate its append-only file, which otherwise grows for ever.</summary>
    private const string GarnetCheckpointSeconds = "60";

    /// <summary>
    /// The server's name (<c>redis-server</c> or <c>garnet</c>) and how to start it on <paramref name="port"/>
    /// with its data in <paramref name="dataDirectory"/>.
    /// </summary>
    public static async Task<(string Kind, ProcessStartInfo StartInfo)> ChooseAsync(int port, string dataDirectory, CancellationToken cancellationToken)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        if (FindOnPath("redis-server") is { } redisServer)
        {
            // appendfsync everysec: each change is written to the file before its reply (so a crash of the
            // process alone loses nothing), fsynced once a second (so a crash of the machine loses at most that
            // second). No RDB snapshots: the AOF (with its RDB preamble after a rewrite) is the one copy.
            return ("redis-server", new ProcessStartInfo(redisServer)
            {
                ArgumentList =
                {
                    "--port", portText, "--bind", "127.0.0.1", "--dir", dataDirectory,
                    "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                },
                WorkingDirectory = AppContext.BaseDirectory,
            });
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
        });
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
