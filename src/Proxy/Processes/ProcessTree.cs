using System.Diagnostics;
using System.Globalization;

namespace StickyLb.Proxy.Processes;

/// <summary>
/// The processes a process started, read from <c>/proc</c>: a server started through a launcher (Garnet
/// as a .NET tool) outlives a launcher that is killed, and must be stopped by its own id.
/// </summary>
internal static class ProcessTree
{
    /// <summary>The processes <paramref name="pid"/> started, and theirs (none where there is no /proc).</summary>
    public static int[] Descendants(int pid)
    {
        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var parent))
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var id = int.Parse(child, CultureInfo.InvariantCulture);
                        found.Add(id);
                        queue.Enqueue(id);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or no /proc here.
            }
        }

        return [.. found];
    }

    /// <summary>Kills <paramref name="pid"/> and what it started, if it still runs.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var orphan = Process.GetProcessById(pid);
            orphan.Kill(entireProcessTree: true);
            orphan.WaitForExit(5000);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Already gone with its parent.
        }
    }
}
