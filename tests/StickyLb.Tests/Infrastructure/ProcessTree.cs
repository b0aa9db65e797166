namespace StickyLb.Tests.Infrastructure;

/// <summary>The descendants of a process, read from /proc.</summary>
internal static class ProcessTree
{
    public sealed record Entry(int Pid, string CommandLine);

    /// <summary>Every process of the machine with its command line.</summary>
    public static List<Entry> All() =>
        [.. Parents().Keys.Select(pid => new Entry(pid, CommandLine(pid)))];

    public static List<Entry> Descendants(int pid)
    {
        var parents = Parents();
        var found = new List<Entry>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                queue.Enqueue(child);
                found.Add(new Entry(child, CommandLine(child)));
            }
        }

        return found;
    }

    /// <summary>Each process id with its parent's.</summary>
    private static Dictionary<int, int> Parents()
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var child))
            {
                continue;
            }

            try
            {
                // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[child] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return parents;
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
