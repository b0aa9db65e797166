using System.Diagnostics.Metrics;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// How this backend's session reads and writes went, for <c>dotnet-counters monitor --counters StickyLb.Replicated</c>
/// (bench/stores-profile.py reads them): local reads on a hit against majority reads, writes to every backend
/// against those that settled for a majority, and how often every local read right was forgotten.
/// Nearly free while nothing listens.
/// </summary>
internal static class ReplicatedMetrics
{
    public const string MeterName = "StickyLb.Replicated";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> LocalReads = Meter.CreateCounter<long>("stickylb.replicated.local_reads", description: "Session reads served from this backend's own replica (sync mode, a hit this backend wrote last).");

    public static readonly Counter<long> MajorityReads = Meter.CreateCounter<long>("stickylb.replicated.majority_reads", description: "Session reads that asked a majority of the backends.");

    public static readonly Counter<long> Writes = Meter.CreateCounter<long>("stickylb.replicated.writes", description: "Session writes acknowledged (sync: by every backend, or a majority after the wait).");

    public static readonly Counter<long> MajorityFallbacks = Meter.CreateCounter<long>("stickylb.replicated.majority_fallbacks", description: "Sync writes that some backend did not acknowledge in time, settled for a majority.");

    public static readonly Counter<long> RightsForgotten = Meter.CreateCounter<long>("stickylb.replicated.rights_forgotten", description: "Times every local read right was forgotten (a cluster change or a pause of this process).");
}
