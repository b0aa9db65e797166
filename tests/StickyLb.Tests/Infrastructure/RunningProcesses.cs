using StickyLb.Proxy.Processes;

namespace StickyLb.Tests.Infrastructure;

/// <summary>A process and its command line, read from /proc.</summary>
internal sealed record RunningProcess(int Pid, string CommandLine);

/// <summary>
/// The processes the tests look for by command line: which one a process started is read by the gateway's own
/// <see cref="ProcessTree"/> (the one reader of the process tree), only the command lines are read here.
/// </summary>
internal static class RunningProcesses
{
    /// <summary>Every process of the machine with its command line.</summary>
    public static List<RunningProcess> All() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Select(name => int.TryParse(name, out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => new RunningProcess(pid, CommandLine(pid)))];

    /// <summary>The processes <paramref name="pid"/> started, and theirs, parents before children.</summary>
    public static List<RunningProcess> DescendantsOf(int pid) =>
        [.. ProcessTree.Descendants(pid).Select(child => new RunningProcess(child, CommandLine(child)))];

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ""; // Gone while we looked.
        }
    }
}
