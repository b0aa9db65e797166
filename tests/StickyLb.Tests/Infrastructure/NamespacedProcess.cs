using System.Collections.Concurrent;
using System.Diagnostics;

namespace StickyLb.Tests.Infrastructure;

/// <summary>A long-running process started by a test (inside a network namespace), its output kept for the test's log.</summary>
internal sealed class NamespacedProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private NamespacedProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>What the test calls it: "backend 2", "gateway".</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _lines);

    public static NamespacedProcess Start(string name, string file, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // In-process gateways of other tests set this in the test host's environment; a process started
        // here must see what a user who never set it would.
        startInfo.Environment.Remove(StickyLb.Proxy.Gateway.GatewaySchedulingExtensions.InlineCompletionsVariable);
        var process = new Process { StartInfo = startInfo };
        var started = new NamespacedProcess(name, process);
        process.OutputDataReceived += (_, e) => started.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => started.Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits until the process has printed a line that <paramref name="match"/> accepts; throws with its output if it exits or does not in time.</summary>
    public Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) =>
        Eventually.TrueAsync(
            () => _lines.Any(match) || (_process.HasExited
                ? throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it printed the line awaited:\n{Output}")
                : false),
            timeout,
            () => $"{Name} did not print the line awaited:\n{Output}");

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

    private void Remember(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
