using System.Diagnostics;
using System.Globalization;
using StickyLb.Proxy.Processes;

namespace StickyLb.Proxy.Store;

/// <summary>
/// Which server the embedded store runs and how it is started: <c>redis-server</c> from PATH, else Garnet
/// from the repository's .NET local tool manifest (restored first), on 127.0.0.1, keeping nothing on disk.
/// </summary>
internal static class EmbeddedStoreServer
{
    /// <summary>The server's name (<c>redis-server</c> or <c>garnet</c>) and how to start it on <paramref name="port"/>.</summary>
    public static async Task<(string Kind, ProcessStartInfo StartInfo)> ChooseAsync(int port, CancellationToken cancellationToken)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        if (FindOnPath("redis-server") is { } redisServer)
        {
            return ("redis-server", new ProcessStartInfo(redisServer)
            {
                ArgumentList = { "--port", portText, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
                WorkingDirectory = AppContext.BaseDirectory,
            });
        }

        await RestoreToolsAsync(cancellationToken);
        // The tool manifest is found by walking up from the working directory: the gateway's output
        // folder lies inside the repository.
        return ("garnet", new ProcessStartInfo(DotnetHost.Path)
        {
            ArgumentList = { "garnet-server", "--port", portText, "--bind", "127.0.0.1", "-m", "256m" },
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
