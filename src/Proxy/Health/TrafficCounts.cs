namespace StickyLb.Proxy.Health;

/// <summary>Requests of one backend in one second, by outcome.</summary>
internal sealed record TrafficCounts(long Ok, long Failed, long Rejected);
