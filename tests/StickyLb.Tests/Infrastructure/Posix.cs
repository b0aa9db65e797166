using System.Diagnostics;
using System.Runtime.InteropServices;

namespace StickyLb.Tests.Infrastructure;

/// <summary>Signals for the process tests: SIGTERM and SIGINT as a service manager or a terminal sends them, SIGSTOP and SIGCONT to hang a process.</summary>
internal static partial class Posix
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Waits (polling) until process <paramref name="pid"/> is gone; false on timeout.</summary>
    public static Task<bool> WaitForExitAsync(int pid, TimeSpan timeout) =>
        Eventually.TryTrueAsync(() => !IsAlive(pid), timeout);

    /// <summary>
    /// Waits (polling /proc) until every thread of process <paramref name="pid"/> is stopped: SIGSTOP is delivered
    /// asynchronously, and a thread still running on the other core answered one more request after kill(2)
    /// had returned (a CI failure of the hung-store test). False on timeout.
    /// </summary>
    public static Task<bool> WaitUntilStoppedAsync(int pid, TimeSpan timeout) =>
        Eventually.TryTrueAsync(() => IsStopped(pid), timeout, interval: TimeSpan.FromMilliseconds(5));

    private static bool IsStopped(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task").All(task =>
            {
                // The state follows the command name, which is in parentheses and may hold anything.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart()[0];
                return state is 'T' or 't';
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process or a thread has gone meanwhile: nothing of it runs.
            return true;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
