using System.Diagnostics;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// Debian's curl as a client nobody here wrote (HTTP/2 through nghttp2, TLS through OpenSSL), for what a test
/// must see from outside .NET's HttpClient. CI installs it.
/// </summary>
internal static class Curl
{
    /// <summary>What curl printed and how it ended.</summary>
    public sealed record Result(int ExitCode, string Output, string Errors);

    /// <summary>Runs curl with <paramref name="args"/> (never a proxy from the environment), or throws after <paramref name="timeout"/>.</summary>
    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        var startInfo = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--noproxy", "*", "--silent", "--show-error", "--max-time", $"{(int)Math.Ceiling(timeout.TotalSeconds)}" }.Concat(args))
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout + TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"curl {string.Join(' ', args)} did not end within {timeout}.");
        }

        return new Result(process.ExitCode, await output, await errors);
    }
}
