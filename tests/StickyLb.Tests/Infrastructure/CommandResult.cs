using System.Diagnostics;

namespace StickyLb.Tests.Infrastructure;

/// <summary>A short command run to its end: its exit code and output.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="file"/>; a command that has not finished in 30 s is killed and reported as exit code -1.</summary>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new CommandResult(-1, await output, $"{await error}\n{file} did not finish within {Timeout}.");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }
}
