namespace StickyLb.Proxy.Compare;

/// <summary>The result of one setup, as <c>compare.json</c> reports it.</summary>
/// <param name="Store"><c>memory</c>, <c>redis</c> or <c>replicated</c>.</param>
/// <param name="Failover"><c>Redistribute</c> or <c>Return503Error</c>.</param>
/// <param name="Users">Simulated users.</param>
/// <param name="UsersOnKilledBackend">Users whose session lived on backend 2 when it was killed.</param>
/// <param name="Kept">Users who kept their session.</param>
/// <param name="Lost">Users who were answered but had lost their session.</param>
/// <param name="Failed">Users who got a 5xx or no response.</param>
/// <param name="P50Ms">Median latency of every request of the run, in milliseconds.</param>
/// <param name="P99Ms">99th percentile latency of every request of the run, in milliseconds.</param>
/// <param name="MemoryBytesPerBackend">The median backend's resident memory after the logins, before the kill, in bytes.</param>
/// <param name="Affinity">Whether the <c>server</c> cookie pinned each user to a backend (<c>--affinity on</c>).</param>
/// <param name="RequestsPerBackend">Requests each backend served in the skewed phase (the active third of the users make several requests, the others one).</param>
/// <param name="LoadImbalance">The skewed phase's busiest backend over the mean of all of them: 1 is even.</param>
/// <param name="LostBeforeKill">Users who already looked logged out before the kill (without affinity in memory mode: most).</param>
/// <param name="Drain">Whether backend 2 was drained before it stopped (a planned restart).</param>
/// <param name="EndedBeforeStop">With a drain: users of backend 2 who logged out and left while it drained; they had nothing left to lose.</param>
/// <param name="ArrivedDuringDrain">With a drain: new users who logged in while it drained (as many as left).</param>
/// <param name="ArrivedOnStoppedBackend">With a drain: how many of those new users were pinned to backend 2 anyway (0: the drain held).</param>
/// <param name="LiveConnections">What the kill did to the live connections some users held (<see cref="CompareLiveConnections"/>).</param>
/// <param name="Replication">Replicated mode's replication, <c>sync</c> or <c>async</c>; null in the other modes.</param>
/// <param name="StoreKilled">Whether the embedded store was SIGKILLed (and started again) instead of backend 2.</param>
/// <param name="AcknowledgedChanges">Cart changes a 2xx acknowledged during the run.</param>
/// <param name="AcknowledgedChangesLost">Of those, how many the user's last read of its cart no longer showed (a read that failed shows none).</param>
/// <param name="AcknowledgedChangesLostOnSurvivingBackends">
/// Of those lost, how many were of users whose session was not on the killed backend (every user when the store
/// was killed); null without affinity, where no user has a backend of its own.
/// </param>
/// <param name="AffinityHitRate">
/// The share of the skewed phase's requests that reached the backend their cookie named when sent (a rebalanced request
/// is a miss); null without affinity.
/// </param>
/// <param name="Rebalanced">Requests the gateway moved off a backend over the rebalance bound during the run.</param>
/// <param name="SessionsPerBackend">
/// With a restart phase: the sessions each backend held after backend 2 was started again, its slow start ran out and
/// as many new users as the run had logged in; null without one.
/// </param>
/// <param name="Balance">How the gateway placed new pins (the cluster's load-balancing policy), e.g. <c>LeastSessions</c>.</param>
/// <param name="Rebalance">The rebalance factor; null when rebalancing was off.</param>
internal sealed record CompareRun(
    string Store, string Failover, int Users, int UsersOnKilledBackend, int Kept, int Lost, int Failed, double P50Ms, double P99Ms, long MemoryBytesPerBackend,
    bool Affinity = true, IReadOnlyDictionary<string, long>? RequestsPerBackend = null, double LoadImbalance = 0, int LostBeforeKill = 0,
    bool Drain = false, int EndedBeforeStop = 0, int ArrivedDuringDrain = 0, int ArrivedOnStoppedBackend = 0,
    LiveConnectionsOutcome? LiveConnections = null, string? Replication = null, bool StoreKilled = false,
    int AcknowledgedChanges = 0, int AcknowledgedChangesLost = 0, int? AcknowledgedChangesLostOnSurvivingBackends = null,
    double? AffinityHitRate = null, long Rebalanced = 0, IReadOnlyDictionary<string, int>? SessionsPerBackend = null, string Balance = "LeastSessions", double? Rebalance = null)
{
    /// <summary>The setup as the table and the chart name it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Setup => SetupName(Store, Failover, Affinity, Drain, Replication, StoreKilled, Balance != Placement.PlacementDefaults.LeastSessions ? Balance : null, Rebalance);

    /// <summary>The sessions per backend after the restart phase, in backend order, as "1/2/3" counts.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SessionsShape => SessionsPerBackend is null
        ? "-"
        : string.Join(" / ", SessionsPerBackend.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The skewed phase's requests per backend, in backend order, as "1/2/3" counts.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string RequestsShape => RequestsPerBackend is null
        ? "-"
        : string.Join(" / ", RequestsPerBackend.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A setup's name: store and failover policy, then what differs from the sticky default.</summary>
    public static string SetupName(string store, string failover, bool affinity, bool drain, string? replication = null, bool storeKilled = false, string? balance = null, double? rebalance = null) =>
        storeKilled ? $"{store}, store killed"
        : !affinity ? $"{store}, affinity off"
        : rebalance is { } factor ? FormattableString.Invariant($"{store} + rebalance {factor}")
        : $"{store}{(replication == "async" ? " async" : "")} + {failover}{(drain ? " + drain" : "")}{(balance is null ? "" : $", {balance}")}";
}
