using System.Diagnostics;
using System.Globalization;

namespace StickyLb.Tests.Infrastructure;

/// <summary>A BackendApp process started by a test, as a real deployment's backend would be.</summary>
internal sealed class BackendAppProcess : IDisposable
{
    private readonly Process _process;
    private readonly Uri _address;

    private BackendAppProcess(Process process, Uri address)
    {
        _process = process;
        _address = address;
    }

    public bool IsRunning => !_process.HasExited;

    /// <param name="arguments">More command-line arguments for BackendApp (configuration keys, say).</param>
    public static BackendAppProcess Start(string id, int port, params string[] arguments)
    {
        var address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var startInfo = new ProcessStartInfo(GatewayProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "BackendApp.dll"), "--urls", address.ToString(), "--Backend:Id", id },
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new BackendAppProcess(process, address);
    }

    public async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        await Eventually.TrueAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"BackendApp exited with code {_process.ExitCode}.");
                }

                try
                {
                    using var response = await client.GetAsync(new Uri(_address, "/healthz"));
                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false; // Not listening yet.
                }
            },
            TimeSpan.FromSeconds(30),
            () => $"BackendApp on {_address} was not ready.");
    }

    /// <summary>SIGKILL, as a crash would; waits until the process is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
