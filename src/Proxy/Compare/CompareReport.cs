using System.Globalization;
using System.Text;
using System.Text.Json;
using StickyLb.Shared;

namespace StickyLb.Proxy.Compare;

/// <summary>Writes <c>compare.json</c> and <c>compare.md</c>.</summary>
internal static class CompareReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson(IReadOnlyList<CompareRun> runs) => JsonSerializer.Serialize(new { runs }, Json);

    public static string ToMarkdown(IReadOnlyList<CompareRun> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("# StickyLb: what a backend's death does to sessions");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{(runs.Count > 0 ? runs[0].Users : 0)} simulated users log in through the gateway (three backends), add to their cart and make a few requests; in a skewed phase the users pinned to backend 2 (without affinity, the same third of the users) make {CompareRunner.ActiveUserRequests} requests each while the others make one; backend 2 is killed with SIGKILL; every user makes one more request.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"A tenth of the users (at most {CompareLiveConnections.MaxUsers}) also hold a live connection (SignalR over WebSockets, through the gateway, pinned by their cookie) across the kill; those on backend 2 open a new one and count once more.");
        text.AppendLine();
        var rounds = CompareRunner.ChangeRounds == 1 ? "one" : CompareRunner.ChangeRounds.ToString(CultureInfo.InvariantCulture);
        text.AppendLine(CultureInfo.InvariantCulture, $"Every user also changes its cart in rounds ({rounds} before the kill, one on its way as it happens, {rounds} after), each change a new item; in the store-killed setup the embedded store is SIGKILLed instead of backend 2, and the rounds go on until it is back and serves everyone.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"In the memory setups with a restart phase, backend 2 is then started again, its slow start ({CompareMode.SlowStart.TotalSeconds:0.#} s in compare, 10 s by default) runs out, and as many new users log in; the sessions each backend holds after them show how evenly new sessions are placed: by `LeastSessions` (the default) or by `RoundRobin`.");
        text.AppendLine();
        text.AppendLine("| setup | balance | users | on backend 2 | kept | lost | failed | lost before the kill | acknowledged changes lost | skewed phase: requests on 1 / 2 / 3 | imbalance | affinity hit rate | rebalanced | sessions after restart and new users: 1 / 2 / 3 | live connections: on backend 2 / reconnected / state lost | p50 ms | p99 ms | memory per backend |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {run.Setup} | {run.Balance} | {run.Users} | {run.UsersOnKilledBackend} | {run.Kept} | {run.Lost} | {run.Failed} | {run.LostBeforeKill} | {ChangesShape(run)} | {run.RequestsShape} | {run.LoadImbalance:0.00} | {HitRate(run)} | {run.Rebalanced} | {run.SessionsShape} | {LiveShape(run)} | {run.P50Ms:0.00} | {run.P99Ms:0.00} | {Megabytes(run.MemoryBytesPerBackend)} |");
        }

        text.AppendLine();
        text.AppendLine("- **kept**: same user, visits continue, cart intact. **lost**: answered, but logged out or with an empty cart. **failed**: a 5xx or no response. **on backend 2**: users whose last answer came from backend 2 when it stopped. **lost before the kill**: users who already looked logged out. **imbalance**: the busiest backend's requests in the skewed phase over the mean (1 is even).");
        foreach (var run in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {run.Setup}: {Lesson(run)}");
        }

        text.AppendLine("- **affinity hit rate**: the share of the skewed phase's requests that reached the backend their cookie named when sent (a rebalanced request is a miss). **rebalanced**: requests moved off a backend over the rebalance bound (`--rebalance`), each re-pinning its user.");
        text.AppendLine("- **acknowledged changes lost**: cart changes a 2xx acknowledged that the user's last read of its cart no longer shows (a read that failed shows none), of all acknowledged.");
        text.AppendLine("- **live connections**: **on backend 2**: live connections that lived on backend 2 when it died; **reconnected**: of those, opened again through the gateway on a healthy backend; **state lost**: of those, whose count did not go on (it started again at 1, or there was no new connection). A live connection can only be pinned, never shared: its state is lost in every store mode.");
        text.AppendLine("- **memory per backend**: the median backend's resident memory after the logins, before the kill.");
        text.AppendLine("- Latencies are of every request of the run, through the gateway, on this machine: compare them with each other, not with another machine.");
        text.AppendLine();
        text.AppendLine("![kept, lost and failed users per setup](compare.svg)");
        return text.ToString();
    }

    /// <summary>What one setup shows, in a sentence, with its own figures, and what it did to live connections.</summary>
    public static string Lesson(CompareRun run) => SessionLesson(run) + RestartLesson(run) + LiveLesson(run);

    /// <summary>What the restart phase showed, when the setup had one.</summary>
    private static string RestartLesson(CompareRun run) => run.SessionsPerBackend is null
        ? ""
        : FormattableString.Invariant(
            $" After backend 2 restarted (empty) and {run.Users} new users arrived, {run.Balance} left the backends holding {run.SessionsShape} sessions{(run.Balance == Placement.PlacementDefaults.LeastSessions ? ": new sessions went where sessions were fewest, once its slow start was over." : ": round robin gives every backend the same share of new users, so the restarted one stays short of sessions.")}");

    /// <summary>The acknowledged changes' cell: lost of acknowledged.</summary>
    public static string ChangesShape(CompareRun run) => FormattableString.Invariant($"{run.AcknowledgedChangesLost} of {run.AcknowledgedChanges}");

    /// <summary>The affinity hit rate's cell: a share, or "-" without affinity.</summary>
    public static string HitRate(CompareRun run) => run.AffinityHitRate is { } rate ? rate.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <summary>The live connections' cell: on backend 2 / reconnected / state lost.</summary>
    public static string LiveShape(CompareRun run) => run.LiveConnections?.Shape ?? "-";

    /// <summary>What the kill did to live connections, whatever it did to sessions: a live connection can only be pinned.</summary>
    private static string LiveLesson(CompareRun run) => run.LiveConnections switch
    {
        null => "",
        { Opened: var opened, Users: var tried } live when !run.Affinity => FormattableString.Invariant(
            $" Live connections: only {opened} of {tried} could open (the negotiate and the WebSocket were balanced to different backends); {live.StateLost} of the {live.OnKilledBackend} on backend 2 lost their state."),
        var live => FormattableString.Invariant(
            $" Live connections: the {live.OnKilledBackend} on backend 2 closed, {live.Reconnected} reconnected to another backend and {live.StateLost} lost their state: a live connection can only be pinned, never shared, whatever the store."),
    };

    private static string SessionLesson(CompareRun run) => (run.Store, run.Failover, run.Drain) switch
    {
        (_, _, _) when run.Rebalance is { } factor => FormattableString.Invariant(
            $"stickiness without its load price: the session lives in the store, so when backend 2's users got busy the gateway made {run.Rebalanced} moves to less loaded backends (bound {factor} x the mean over the last 2 s): the skewed phase's imbalance was {run.LoadImbalance:0.00}, and {HitRate(run)} of its requests still reached the backend their cookie named. Nobody lost anything ({run.Kept} of {run.Users} kept)."),
        (StoreModeNames.Redis, _, _) when run.StoreKilled => FormattableString.Invariant(
            $"the store itself was SIGKILLed while every user kept changing, and the gateway started it again on its append-only file: {run.AcknowledgedChangesLost} of {run.AcknowledgedChanges} acknowledged changes lost (at most its last second's), {run.Kept} of {run.Users} users kept. Without the file every user would have been logged out."),
        (StoreModeNames.Replicated, _, _) when run.Replication == ReplicationModeNames.Async => FormattableString.Invariant(
            $"session clustering's timing issue, in numbers: backend 2 answered changes before the others had them, and died; {run.AcknowledgedChangesLost} of {run.AcknowledgedChanges} acknowledged changes lost ({run.AcknowledgedChangesLostOnSurvivingBackends ?? 0} of them of users on the surviving backends), {run.Kept} of {run.Users} users kept. Sync replication pays a majority's answer per change to lose none."),
        (StoreModeNames.Memory, _, _) when !run.Affinity => FormattableString.Invariant(
            $"the problem sticky sessions solve: with every request balanced on its own, {run.LostBeforeKill} of {run.Users} users looked logged out before anything died (their session was on another backend); the load was even (imbalance {run.LoadImbalance:0.00}), for nothing."),
        (_, _, _) when !run.Affinity => FormattableString.Invariant(
            $"the session lives where every backend finds it, so affinity is not needed: nobody lost anything ({run.Kept} of {run.Users} kept) and the skewed phase spread evenly (imbalance {run.LoadImbalance:0.00})."),
        (StoreModeNames.Memory, _, true) => FormattableString.Invariant(
            $"a planned restart. While backend 2 drained, {run.ArrivedOnStoppedBackend} of {run.ArrivedDuringDrain} new users were pinned to it, and {run.EndedBeforeStop} of its users finished and left with nothing to lose; the {run.UsersOnKilledBackend} still active when it stopped lost their session ({run.Lost} lost). A drain saves the users who finish in time, never those still active: in memory their session dies with the process."),
        (StoreModeNames.Memory, "Return503Error", _) => FormattableString.Invariant(
            $"the {run.UsersOnKilledBackend} users of backend 2 get 503 until it is back ({run.Failed} failed); their sessions live only if the process comes back, and in memory a killed process never does."),
        (StoreModeNames.Memory, _, _) => FormattableString.Invariant(
            $"the {run.UsersOnKilledBackend} users of backend 2 are moved to another backend and look logged out ({run.Lost} lost); everyone else notices nothing. The price of stickiness before that: while its users were the active ones, backend 2 served {Share(run)} of the requests (imbalance {run.LoadImbalance:0.00}) and the others idled."),
        (StoreModeNames.Redis, _, _) => FormattableString.Invariant(
            $"nobody notices ({run.Kept} of {run.Users} kept): every session lives in the store, at the price of a store to run (and to make survive: Sentinel) and a store round trip per request."),
        _ => FormattableString.Invariant(
            $"nobody notices ({run.Kept} of {run.Users} kept): every backend holds every session, at the price of every session in every backend's memory and every change sent to a majority of the backends."),
    };

    /// <summary>Backend 2's share of the skewed phase's requests, as a percentage.</summary>
    private static string Share(CompareRun run)
    {
        var total = run.RequestsPerBackend?.Values.Sum() ?? 0;
        return total == 0 ? "-" : (100.0 * run.RequestsPerBackend!.GetValueOrDefault(CompareRunner.KilledBackend) / total).ToString("0", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>Bytes as whole megabytes (MiB), the unit the table and the chart show.</summary>
    public static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", CultureInfo.InvariantCulture) + " MB";
}
