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
public sealed record CompareRun(
    string Store, string Failover, int Users, int UsersOnKilledBackend, int Kept, int Lost, int Failed, double P50Ms, double P99Ms, long MemoryBytesPerBackend);
