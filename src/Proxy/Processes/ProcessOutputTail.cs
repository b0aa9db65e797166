namespace StickyLb.Proxy.Processes;

/// <summary>
/// The last lines a child process printed (a backend, the embedded store): each line goes to the log
/// at debug level, and the last one explains a failed start in the single line a person reads.
/// </summary>
internal sealed class ProcessOutputTail(Action<string> log, int capacity = 20)
{
    private readonly Queue<string> _lines = new();

    /// <summary>The last non-blank line, trimmed; empty if there is none.</summary>
    public string LastLine
    {
        get
        {
            lock (_lines)
            {
                return _lines.LastOrDefault(line => line.Trim().Length > 0)?.Trim() ?? "";
            }
        }
    }

    /// <summary>For <c>Process.OutputDataReceived</c> and <c>ErrorDataReceived</c>: null marks the end of a stream.</summary>
    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        log(line);
        lock (_lines)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }
}
