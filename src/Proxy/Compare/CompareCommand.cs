using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Store;

namespace StickyLb.Proxy.Compare;

/// <summary>
/// <c>dotnet run --project src/Proxy -- compare [--users 300] [--out DIR]</c>: the used-by story in each
/// setup, one after another, with a progress display, a table, and <c>compare.json</c>,
/// <c>compare.md</c> and <c>compare.svg</c> in DIR. Ctrl+C or SIGTERM stops it and everything it started.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The first argument that selects this command.</summary>
    public const string Name = "compare";

    /// <summary>What <c>compare --help</c> prints.</summary>
    public const string Help = """
        Runs the used-by story in every setup, one after another, and shows what each does to sessions.

        Usage: dotnet run --project src/Proxy -- compare [--users N] [--out DIR]
          --users N    simulated users, 3..5000 (default: 300)
          --out DIR    where compare.json, compare.md and compare.svg go (default: compare-report)
        """;

    public static async Task<int> RunAsync(string[] args, IAnsiConsole console)
    {
        if (args is ["--help" or "-h" or "-?"])
        {
            await Console.Out.WriteLineAsync(Help);
            return 0;
        }

        if (!TryParse(args, out var users, out var outDirectory, out var error))
        {
            await Console.Error.WriteLineAsync("stickylb compare: " + error);
            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        var runner = new CompareRunner(users);
        var runs = new List<CompareRun>();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    foreach (var mode in CompareMode.All)
                    {
                        var task = progress.AddTask(Markup.Escape(mode.ToString()), maxValue: users * 2);
                        runs.Add(await runner.RunAsync(mode, _ => task.Increment(1), interrupted.Token));
                        task.StopTask();
                    }
                });
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]compare: interrupted; every process it started has been stopped.[/]");
            return 130;
        }
        catch (Exception ex) when (ex is BackendStartException or StoreStartException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync("stickylb compare: " + ex.Message);
            return 1;
        }

        console.Write(Table(runs));
        foreach (var run in runs)
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[bold]{Markup.Escape(run.Setup)}[/]: {Markup.Escape(CompareReport.Lesson(run))}");
        }

        Directory.CreateDirectory(outDirectory);
        await File.WriteAllTextAsync(Path.Combine(outDirectory, "compare.json"), CompareReport.ToJson(runs));
        await File.WriteAllTextAsync(Path.Combine(outDirectory, "compare.md"), CompareReport.ToMarkdown(runs));
        await File.WriteAllTextAsync(Path.Combine(outDirectory, "compare.svg"), CompareChart.Render(runs));
        console.MarkupLine(CultureInfo.InvariantCulture, $"Done in {stopwatch.Elapsed.TotalSeconds:0.0} s. Wrote compare.json, compare.md and compare.svg to [bold]{Markup.Escape(Path.GetFullPath(outDirectory))}[/].");
        return 0;
    }

    internal static bool TryParse(string[] args, out int users, out string outDirectory, out string error)
    {
        (users, outDirectory, error) = (300, "compare-report", "");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--users" when value is not null:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out users) || users is < 3 or > 5000)
                    {
                        error = $"Invalid --users '{value}': expected a whole number from 3 to 5000.";
                        return false;
                    }

                    i++;
                    break;
                case "--out" when !string.IsNullOrWhiteSpace(value):
                    outDirectory = value;
                    i++;
                    break;
                default:
                    error = $"Unknown or incomplete option '{args[i]}': expected --users N and --out DIR.";
                    return false;
            }
        }

        return true;
    }

    private static Table Table(IReadOnlyList<CompareRun> runs)
    {
        var table = new Table().Title("What a backend's death does to sessions").Border(TableBorder.Rounded);
        foreach (var column in new[] { "setup", "users", "on 2", "kept", "lost", "failed", "lost early", "changes lost", "skewed 1/2/3", "imbalance", "hit rate", "rebalanced", "restart 1/2/3", "live on 2/back/lost", "p50 ms", "p99 ms", "memory" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var run in runs)
        {
            table.AddRow(
                Markup.Escape(run.Setup), $"{run.Users}", $"{run.UsersOnKilledBackend}",
                $"[green]{run.Kept}[/]", $"[darkorange]{run.Lost}[/]", $"[red]{run.Failed}[/]", $"{run.LostBeforeKill}", CompareReport.ChangesShape(run),
                run.RequestsShape, run.LoadImbalance.ToString("0.00", CultureInfo.InvariantCulture), CompareReport.HitRate(run), $"{run.Rebalanced}", run.SessionsShape, CompareReport.LiveShape(run),
                run.P50Ms.ToString("0.00", CultureInfo.InvariantCulture), run.P99Ms.ToString("0.00", CultureInfo.InvariantCulture),
                CompareReport.Megabytes(run.MemoryBytesPerBackend));
        }

        return table;
    }
}
