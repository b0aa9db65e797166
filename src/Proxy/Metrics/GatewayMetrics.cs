using System.Diagnostics.Metrics;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Live;
using StickyLb.Shared;

namespace StickyLb.Proxy.Metrics;

/// <summary>
/// The gateway's instruments, on the Meter <see cref="MeterName"/> (so dotnet-counters and OpenTelemetry see
/// them as <c>/metrics</c> does). They observe the very counters the dashboard and <c>/api/stats</c> read:
/// one set of counters, not two, and nothing added to a request's path.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "StickyLb";

    public GatewayMetrics(
        IMeterFactory meters,
        AffinityCounters affinity,
        RecentTraffic traffic,
        BackendSupervisor supervisor,
        DestinationHealthSignal health,
        DrainRegistry drain,
        BackendSessionsSampler sessions,
        LiveConnectionCounters connections)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("stickylb.affinity.outcomes", () => AffinityOutcomes(affinity.Snapshot()),
            description: "What the affinity policy decided: a new pin, a hit, a re-pin (Redistribute), rebalanced (--rebalance), unavailable (Return503Error) or an expired pin (--pin-max-idle, --pin-max-life).");
        meter.CreateObservableCounter("stickylb.affinity.misses", () => AffinityMisses(affinity.Snapshot().Misses),
            description: "server cookies ignored, by reason: unknown backend, malformed, oversized, repeated, tampered (pin times that fail the MAC).");
        meter.CreateObservableCounter("stickylb.backend.requests", () => Requests(traffic.Totals()),
            description: "Requests proxied to each backend, by outcome: ok, failed (5xx or unreachable), rejected (503 by the gateway).");
        meter.CreateObservableGauge("stickylb.backend.healthy", () => Backends(supervisor, health).Select(id =>
                new Measurement<int>(HealthStatus.IsUp(health.Describe(id)) ? 1 : 0, Backend(id))),
            description: "1 while the gateway's health checks do not count the backend down, else 0.");
        meter.CreateObservableGauge("stickylb.backend.state", () => Backends(supervisor, health).Select(id =>
                new Measurement<int>(1, Backend(id), new("state", State(id, supervisor, drain)))),
            description: "1 for the backend's state: running, stopped or draining.");
        meter.CreateObservableGauge("stickylb.backend.sessions", () => sessions.Sessions.Select(pair =>
                new Measurement<int>(pair.Value, Backend(pair.Key))),
            description: "Sessions the backend holds, as its /healthz said at most a few seconds ago.");
        meter.CreateObservableGauge("stickylb.backend.connections", () => Backends(supervisor, health).Select(id =>
                new Measurement<int>(connections.Get(id), Backend(id))),
            description: "Live connections open to the backend through the gateway: WebSockets and server-sent-event streams (a long poll is an ordinary request).");
    }

    private static IEnumerable<Measurement<long>> AffinityOutcomes(AffinitySnapshot snapshot) =>
    [
        new(snapshot.NewPins, new KeyValuePair<string, object?>("outcome", "new_pin")),
        new(snapshot.Hits, new KeyValuePair<string, object?>("outcome", "hit")),
        new(snapshot.RePins, new KeyValuePair<string, object?>("outcome", "re_pin")),
        new(snapshot.Rebalanced, new KeyValuePair<string, object?>("outcome", "rebalanced")),
        new(snapshot.Unavailable, new KeyValuePair<string, object?>("outcome", "unavailable")),
        new(snapshot.ExpiredPins, new KeyValuePair<string, object?>("outcome", "expired_pin")),
    ];

    private static IEnumerable<Measurement<long>> AffinityMisses(AffinityMisses misses) =>
    [
        new(misses.Unknown, new KeyValuePair<string, object?>("reason", "unknown")),
        new(misses.Malformed, new KeyValuePair<string, object?>("reason", "malformed")),
        new(misses.Oversized, new KeyValuePair<string, object?>("reason", "oversized")),
        new(misses.Repeated, new KeyValuePair<string, object?>("reason", "repeated")),
        new(misses.Tampered, new KeyValuePair<string, object?>("reason", "tampered")),
    ];

    private static IEnumerable<Measurement<long>> Requests(IReadOnlyDictionary<string, TrafficCounts> totals) =>
        totals.SelectMany(pair => new Measurement<long>[]
        {
            new(pair.Value.Ok, Backend(pair.Key), new("outcome", "ok")),
            new(pair.Value.Failed, Backend(pair.Key), new("outcome", "failed")),
            new(pair.Value.Rejected, Backend(pair.Key), new("outcome", "rejected")),
        });

    private static IEnumerable<string> Backends(BackendSupervisor supervisor, DestinationHealthSignal health) =>
        KnownBackends.List(supervisor, health).Select(b => b.Id);

    private static string State(string id, BackendSupervisor supervisor, DrainRegistry drain)
    {
        // A backend this gateway does not run is never "stopped" (stickylb_backend_healthy says whether it answers).
        var running = !supervisor.IsSupervising || supervisor.Find(id)?.State is { } state && state != BackendState.Stopped;
        return KnownBackends.StateText(running, drain.IsDraining(id));
    }

    private static KeyValuePair<string, object?> Backend(string id) => new("backend", id);
}
