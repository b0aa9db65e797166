namespace StickyLb.Proxy.Health;

/// <summary>One second of traffic: Unix time and counts per backend id.</summary>
internal sealed record TrafficSecond(long Second, IReadOnlyDictionary<string, TrafficCounts> Backends);
