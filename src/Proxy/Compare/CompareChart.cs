using System.Globalization;
using System.Xml.Linq;

namespace StickyLb.Proxy.Compare;

/// <summary>
/// <c>compare.svg</c>: one stacked bar per setup (kept, lost, failed users), with counts, latency and
/// memory per backend beside it, a title and a legend. Built as XML, so it is always well-formed;
/// self-contained, no fonts or scripts to fetch.
/// </summary>
internal static class CompareChart
{
    private const int Width = 760;
    private const int LabelWidth = 230;
    private const int BarWidth = 480;
    private const int BarHeight = 34;
    private const int RowHeight = 72;
    private const int Top = 70;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly (UserOutcome Outcome, string Color, string Label)[] Segments =
    [
        (UserOutcome.Kept, "#2e7d32", "kept"),
        (UserOutcome.Lost, "#ef6c00", "lost (logged out)"),
        (UserOutcome.Failed, "#c62828", "failed (5xx)"),
    ];

    public static string Render(IReadOnlyList<CompareRun> runs)
    {
        var height = Top + (runs.Count * RowHeight) + 50;
        var root = new XElement(
            Svg + "svg",
            new XAttribute("width", Width),
            new XAttribute("height", height),
            new XAttribute("viewBox", $"0 0 {Width} {height}"),
            new XAttribute("role", "img"),
            new XAttribute("font-family", "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"),
            new XElement(Svg + "title", "StickyLb: users who kept, lost or failed their session when backend 2 died"),
            new XElement(Svg + "rect", new XAttribute("width", Width), new XAttribute("height", height), new XAttribute("fill", "#ffffff")),
            Text(20, 32, "What a backend's death does to sessions", 20, "bold"),
            Text(20, 54, $"{(runs.Count > 0 ? runs[0].Users : 0)} users, backend 2 of 3 killed (SIGKILL)", 13, "normal", "#555555"));

        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var y = Top + (i * RowHeight);
            var group = new XElement(Svg + "g", new XAttribute("class", "run"), new XAttribute("data-store", run.Store), new XAttribute("data-failover", run.Failover), new XAttribute("data-drain", run.Drain ? "true" : "false"), new XAttribute("data-affinity", run.Affinity ? "on" : "off"));
            group.Add(Text(20, y + 14, run.Setup, 14, "bold"));
            group.Add(Text(20, y + 30, $"p50 {run.P50Ms:0.0} ms, p99 {run.P99Ms:0.0} ms", 12, "normal", "#555555"));
            group.Add(Text(20, y + 45, $"memory {CompareReport.Megabytes(run.MemoryBytesPerBackend)} per backend", 12, "normal", "#555555"));
            group.Add(Text(20, y + 60, FormattableString.Invariant($"skew {run.RequestsShape} ({run.LoadImbalance:0.00}x)"), 12, "normal", "#555555"));
            double x = LabelWidth;
            foreach (var (outcome, color, label) in Segments)
            {
                var count = outcome switch
                {
                    UserOutcome.Kept => run.Kept,
                    UserOutcome.Lost => run.Lost,
                    _ => run.Failed,
                };
                var width = run.Users == 0 ? 0 : BarWidth * count / (double)run.Users;
                if (width <= 0)
                {
                    continue;
                }

                group.Add(new XElement(
                    Svg + "rect",
                    Attr("x", x), Attr("y", y), Attr("width", width), Attr("height", BarHeight),
                    new XAttribute("fill", color),
                    new XElement(Svg + "title", $"{count} {label}")));
                if (width >= 28)
                {
                    group.Add(Text(x + (width / 2), y + 22, count.ToString(CultureInfo.InvariantCulture), 13, "bold", "#ffffff", "middle"));
                }

                x += width;
            }

            root.Add(group);
        }

        var legendY = Top + (runs.Count * RowHeight) + 14;
        double legendX = LabelWidth;
        foreach (var (_, color, label) in Segments)
        {
            root.Add(new XElement(Svg + "rect", Attr("x", legendX), Attr("y", legendY), Attr("width", 14), Attr("height", 14), new XAttribute("fill", color)));
            root.Add(Text(legendX + 20, legendY + 12, label, 13, "normal"));
            legendX += 160;
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).ToString();
    }

    private static XElement Text(double x, double y, string text, int size, string weight, string color = "#111111", string anchor = "start") =>
        new(
            Svg + "text",
            Attr("x", x),
            Attr("y", y),
            new XAttribute("font-size", size),
            new XAttribute("font-weight", weight),
            new XAttribute("fill", color),
            new XAttribute("text-anchor", anchor),
            text);

    private static XAttribute Attr(string name, double value) => new(name, value.ToString("0.##", CultureInfo.InvariantCulture));
}
