using System.Text.Json;
using System.Xml.Linq;
using StickyLb.Proxy.Compare;

namespace StickyLb.Tests.Proxy.Compare;

public sealed class CompareReportTests
{
    // Before Runs: static fields are initialized in the order they are written.
    private static readonly Dictionary<string, long> Skewed = new() { ["1"] = 100, ["2"] = 600, ["3"] = 100 };
    private static readonly Dictionary<string, long> Even = new() { ["1"] = 267, ["2"] = 267, ["3"] = 266 };
    private static readonly Dictionary<string, long> Rebalanced = new() { ["1"] = 180, ["2"] = 240, ["3"] = 180 };
    private static readonly Dictionary<string, int> EvenSessions = new() { ["1"] = 200, ["2"] = 200, ["3"] = 200 };
    private static readonly Dictionary<string, int> RoundRobinSessions = new() { ["1"] = 250, ["2"] = 100, ["3"] = 250 };
    private static readonly LiveConnectionsOutcome Pinned = new(OnKilledBackend: 10, Reconnected: 10, StateLost: 10, Users: 30, Opened: 30);

    private static readonly CompareRun[] Runs =
    [
        new("memory", "Redistribute", 300, 100, 200, 100, 0, 4.9, 56.8, 150_000_000, RequestsPerBackend: Skewed, LoadImbalance: 2.25, LiveConnections: Pinned,
            AcknowledgedChanges: 1500, AcknowledgedChangesLost: 300, AcknowledgedChangesLostOnSurvivingBackends: 0, AffinityHitRate: 1.0, SessionsPerBackend: EvenSessions),
        new("memory", "Return503Error", 300, 100, 200, 0, 100, 4.1, 43.8, 151_000_000),
        new("memory", "Redistribute", 300, 50, 250, 50, 0, 4.6, 50.2, 150_000_000, Drain: true, EndedBeforeStop: 50, ArrivedDuringDrain: 50, ArrivedOnStoppedBackend: 0,
            SessionsPerBackend: RoundRobinSessions, Balance: "RoundRobin"),
        new("redis", "Redistribute", 300, 100, 300, 0, 0, 6.4, 36.7, 160_000_000, LiveConnections: Pinned),
        new("replicated", "Redistribute", 300, 100, 300, 0, 0, 7.2, 40.1, 190_000_000),
        new("memory", "Redistribute", 300, 100, 20, 280, 0, 4.0, 40.0, 150_000_000, Affinity: false, RequestsPerBackend: Even, LoadImbalance: 1.0, LostBeforeKill: 270,
            LiveConnections: new(OnKilledBackend: 3, Reconnected: 1, StateLost: 3, Users: 30, Opened: 9), Balance: "RoundRobin"),
        new("redis", "Redistribute", 300, 0, 300, 0, 0, 6.6, 90.0, 160_000_000, StoreKilled: true, AcknowledgedChanges: 2400, AcknowledgedChangesLost: 0, AcknowledgedChangesLostOnSurvivingBackends: 0),
        new("replicated", "Redistribute", 300, 100, 290, 10, 0, 7.0, 41.0, 190_000_000, Replication: "async", AcknowledgedChanges: 1500, AcknowledgedChangesLost: 12, AcknowledgedChangesLostOnSurvivingBackends: 0),
        new("redis", "Redistribute", 300, 100, 300, 0, 0, 6.0, 40.0, 160_000_000, RequestsPerBackend: Rebalanced, LoadImbalance: 1.2, AffinityHitRate: 0.93, Rebalanced: 42, Rebalance: 1.25),
    ];


    [Fact]
    public void JsonHasTheSpecsFields()
    {
        using var json = JsonDocument.Parse(CompareReport.ToJson(Runs));

        var first = json.RootElement.GetProperty("runs")[0];
        Assert.Equal(
            ["store", "failover", "users", "usersOnKilledBackend", "kept", "lost", "failed", "p50Ms", "p99Ms", "memoryBytesPerBackend",
                "affinity", "requestsPerBackend", "loadImbalance", "lostBeforeKill", "drain", "endedBeforeStop", "arrivedDuringDrain", "arrivedOnStoppedBackend", "liveConnections",
                "replication", "storeKilled", "acknowledgedChanges", "acknowledgedChangesLost", "acknowledgedChangesLostOnSurvivingBackends",
                "affinityHitRate", "rebalanced", "sessionsPerBackend", "balance", "rebalance"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("memory", 100, 4.9), (first.GetProperty("store").GetString(), first.GetProperty("lost").GetInt32(), first.GetProperty("p50Ms").GetDouble()));
        Assert.Equal(150_000_000, first.GetProperty("memoryBytesPerBackend").GetInt64());
        Assert.False(first.GetProperty("drain").GetBoolean());
        var drained = json.RootElement.GetProperty("runs")[2];
        Assert.Equal((true, 50, 50, 0), (drained.GetProperty("drain").GetBoolean(), drained.GetProperty("endedBeforeStop").GetInt32(), drained.GetProperty("arrivedDuringDrain").GetInt32(), drained.GetProperty("arrivedOnStoppedBackend").GetInt32()));
        Assert.Equal((true, 600, 2.25), (first.GetProperty("affinity").GetBoolean(), first.GetProperty("requestsPerBackend").GetProperty("2").GetInt64(), first.GetProperty("loadImbalance").GetDouble()));
        Assert.Equal(9, json.RootElement.GetProperty("runs").GetArrayLength());
        Assert.Equal((1.0, 0L, 200, "LeastSessions", JsonValueKind.Null), (first.GetProperty("affinityHitRate").GetDouble(), first.GetProperty("rebalanced").GetInt64(),
            first.GetProperty("sessionsPerBackend").GetProperty("2").GetInt32(), first.GetProperty("balance").GetString(), first.GetProperty("rebalance").ValueKind));
        var rebalanced = json.RootElement.GetProperty("runs")[8];
        Assert.Equal((0.93, 42L, JsonValueKind.Null, 1.25), (rebalanced.GetProperty("affinityHitRate").GetDouble(), rebalanced.GetProperty("rebalanced").GetInt64(),
            rebalanced.GetProperty("sessionsPerBackend").ValueKind, rebalanced.GetProperty("rebalance").GetDouble()));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("runs")[5].GetProperty("affinityHitRate").ValueKind);
        Assert.Equal((JsonValueKind.Null, false, 1500, 300, 0), (first.GetProperty("replication").ValueKind, first.GetProperty("storeKilled").GetBoolean(),
            first.GetProperty("acknowledgedChanges").GetInt32(), first.GetProperty("acknowledgedChangesLost").GetInt32(), first.GetProperty("acknowledgedChangesLostOnSurvivingBackends").GetInt32()));
        Assert.True(json.RootElement.GetProperty("runs")[6].GetProperty("storeKilled").GetBoolean());
        Assert.Equal("async", json.RootElement.GetProperty("runs")[7].GetProperty("replication").GetString());
        var live = first.GetProperty("liveConnections");
        Assert.Equal(["onKilledBackend", "reconnected", "stateLost", "users", "opened"], live.EnumerateObject().Select(p => p.Name));
        Assert.Equal((10, 10, 10), (live.GetProperty("onKilledBackend").GetInt32(), live.GetProperty("reconnected").GetInt32(), live.GetProperty("stateLost").GetInt32()));
    }

    [Fact]
    public void MarkdownHasARowPerSetupAndTheChart()
    {
        var markdown = CompareReport.ToMarkdown(Runs);

        Assert.Contains("| memory + Redistribute | LeastSessions | 300 | 100 | 200 | 100 | 0 | 0 | 300 of 1500 | 100 / 600 / 100 | 2.25 | 1.00 | 0 | 200 / 200 / 200 | 10 / 10 / 10 | 4.90 | 56.80 | 143 MB |", markdown);
        Assert.Contains("| memory + Redistribute + drain, RoundRobin | RoundRobin | 300 | 50 | 250 | 50 | 0 | 0 | 0 of 0 | - | 0.00 | - | 0 | 250 / 100 / 250 | - | 4.60 | 50.20 | 143 MB |", markdown);
        Assert.Contains("| redis + Redistribute | LeastSessions | 300 | 100 | 300 | 0 | 0 | 0 | 0 of 0 | - | 0.00 | - | 0 | - | 10 / 10 / 10 | 6.40 | 36.70 | 153 MB |", markdown);
        Assert.Contains("| memory, affinity off | RoundRobin | 300 | 100 | 20 | 280 | 0 | 270 | 0 of 0 | 267 / 267 / 266 | 1.00 | - | 0 | - | 3 / 1 / 3 | 4.00 | 40.00 | 143 MB |", markdown);
        Assert.Contains("| redis, store killed | LeastSessions | 300 | 0 | 300 | 0 | 0 | 0 | 0 of 2400 |", markdown);
        Assert.Contains("| replicated async + Redistribute | LeastSessions | 300 | 100 | 290 | 10 | 0 | 0 | 12 of 1500 |", markdown);
        Assert.Contains("| redis + rebalance 1.25 | LeastSessions | 300 | 100 | 300 | 0 | 0 | 0 | 0 of 0 | 180 / 240 / 180 | 1.20 | 0.93 | 42 | - | - | 6.00 | 40.00 | 153 MB |", markdown);
        Assert.Contains("- redis + rebalance 1.25: stickiness without its load price: the session lives in the store, so when backend 2's users got busy the gateway made 42 moves to less loaded backends (bound 1.25 x the mean over the last 2 s): the skewed phase's imbalance was 1.20, and 0.93 of its requests still reached the backend their cookie named.", markdown);
        Assert.Contains("After backend 2 restarted (empty) and 300 new users arrived, LeastSessions left the backends holding 200 / 200 / 200 sessions", markdown);
        Assert.Contains("After backend 2 restarted (empty) and 300 new users arrived, RoundRobin left the backends holding 250 / 100 / 250 sessions", markdown);
        Assert.Contains("- redis, store killed: the store itself was SIGKILLed while every user kept changing, and the gateway started it again on its append-only file: 0 of 2400 acknowledged changes lost", markdown);
        Assert.Contains("- replicated async + Redistribute: session clustering's timing issue, in numbers: backend 2 answered changes before the others had them, and died; 12 of 1500 acknowledged changes lost (0 of them of users on the surviving backends)", markdown);
        // The store keeps every session, never a live connection's state.
        Assert.Contains("- redis + Redistribute: nobody notices (300 of 300 kept)", markdown);
        Assert.Contains("Live connections: the 10 on backend 2 closed, 10 reconnected to another backend and 10 lost their state: a live connection can only be pinned, never shared, whatever the store.", markdown);
        Assert.Contains("Live connections: only 9 of 30 could open (the negotiate and the WebSocket were balanced to different backends)", markdown);
        Assert.Contains("- memory, affinity off: the problem sticky sessions solve: with every request balanced on its own, 270 of 300 users looked logged out before anything died", markdown);
        Assert.Contains("backend 2 served 75% of the requests (imbalance 2.25)", markdown);
        // One lesson per setup, with its own figures.
        Assert.Contains("- memory + Redistribute + drain, RoundRobin: a planned restart. While backend 2 drained, 0 of 50 new users were pinned to it, and 50 of its users finished", markdown);
        Assert.Contains("- memory + Return503Error: the 100 users of backend 2 get 503", markdown);
        Assert.Contains("![kept, lost and failed users per setup](compare.svg)", markdown);
    }

    [Fact]
    public void TheChartIsWellFormedSvgWithABarPerSetupAndALegend()
    {
        var svg = XDocument.Parse(CompareChart.Render(Runs));
        XNamespace ns = "http://www.w3.org/2000/svg";

        var groups = svg.Root!.Elements(ns + "g").ToList();
        var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToList();

        Assert.Equal("svg", svg.Root.Name.LocalName);
        Assert.Equal(
            ["memory + Redistribute", "memory + Return503Error", "memory + Redistribute + drain, RoundRobin", "redis + Redistribute", "replicated + Redistribute", "memory, affinity off",
                "redis, store killed", "replicated async + Redistribute", "redis + rebalance 1.25"],
            groups.Select(g => g.Elements(ns + "text").First().Value));
        Assert.Contains("memory 181 MB per backend", groups[4].Elements(ns + "text").Select(t => t.Value));
        Assert.Contains("kept", texts);
        Assert.Contains("lost (logged out)", texts);
        Assert.Contains("failed (5xx)", texts);
        // Bar widths follow the counts: memory + Redistribute is 2/3 kept, 1/3 lost.
        var widths = groups[0].Elements(ns + "rect").Select(r => double.Parse(r.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([320, 160], widths);
    }

    [Theory]
    [InlineData(new[] { "--users", "2" }, "Invalid --users '2'")]
    [InlineData(new[] { "--users", "many" }, "Invalid --users 'many'")]
    [InlineData(new[] { "--out" }, "Unknown or incomplete option '--out'")]
    [InlineData(new[] { "--colour", "red" }, "Unknown or incomplete option '--colour'")]
    public void BadArgumentsAreOneClearLine(string[] args, string expected)
    {
        var ok = CompareCommand.TryParse(args, out _, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith(expected, error);
    }

    [Fact]
    public void DefaultsAre300UsersIntoCompareReport()
    {
        var ok = CompareCommand.TryParse([], out var users, out var outDirectory, out _);

        Assert.True(ok);
        Assert.Equal((300, "compare-report"), (users, outDirectory));
    }
}
