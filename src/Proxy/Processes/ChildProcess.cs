using System.Diagnostics;

namespace StickyLb.Proxy.Processes;

/// <summary>
/// A process the gateway starts and supervises (a backend, the embedded store): started with its output
/// kept (<see cref="ProcessOutputTail"/>) and the .NET installation handed down, its exit reported, and
/// killed as a crash would kill it. Backends and the store share it; what an exit means is theirs.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <paramref name="startInfo"/>; <paramref name="onExited"/> runs when the process exits, which
    /// may be before this returns. Throws <see cref="System.ComponentModel.Win32Exception"/> or
    /// <see cref="InvalidOperationException"/> when it cannot start.
    /// </summary>
    public static ChildProcess Start(ProcessStartInfo startInfo, ProcessOutputTail output, Action<ChildProcess> onExited)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        DotnetHost.HandDownTo(startInfo);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Exited += (_, _) => onExited(child);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL, as a crash would end it (and, with <paramref name="entireProcessTree"/>, what it started); false when it was already gone.</summary>
    public bool Kill(bool entireProcessTree = false)
    {
        try
        {
            if (_process.HasExited)
            {
                return false;
            }

            _process.Kill(entireProcessTree);
            return true;
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
            return false;
        }
    }

    /// <summary>Kills the process and what it started, and waits up to <paramref name="timeout"/> until it is gone.</summary>
    public void KillAndWait(TimeSpan timeout)
    {
        if (Kill(entireProcessTree: true))
        {
            _process.WaitForExit(timeout);
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose() => _process.Dispose();
}
