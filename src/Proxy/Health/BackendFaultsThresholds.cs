namespace StickyLb.Proxy.Health;

/// <summary>
/// The failure-rate rule <see cref="BackendFaultsPassivePolicy"/> applies to one cluster: the gateway's
/// <see cref="BackendFaultsPassivePolicyOptions"/> with the cluster's metadata overrides.
/// </summary>
/// <param name="WindowSeconds">How many seconds back bad answers count.</param>
/// <param name="MinimumFailures">The fewest bad answers in the window that take a backend out.</param>
/// <param name="FailureRateLimit">The share of the window's requests that must have failed.</param>
internal sealed record BackendFaultsThresholds(int WindowSeconds, int MinimumFailures, double FailureRateLimit)
{
    /// <summary>Whether <paramref name="failures"/> bad answers out of <paramref name="total"/> requests in the window take a backend out.</summary>
    public bool IsExceeded(int failures, int total) => failures >= MinimumFailures && failures >= FailureRateLimit * total;
}
