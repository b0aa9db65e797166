namespace StickyLb.Proxy.Health;

/// <summary>Requests of one backend in one second, by outcome.</summary>
public sealed record TrafficCounts(long Ok, long Failed, long Rejected);
