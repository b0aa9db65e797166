namespace StickyLb.Proxy.Health;

/// <summary>Names and defaults of the health feature.</summary>
internal static class HealthDefaults
{
    /// <summary>The passive policy name to put in <c>HealthCheck:Passive:Policy</c>.</summary>
    public const string PassivePolicyName = "BackendFaults";

    /// <summary>How long a backend stays out after a failed request when the config names no period.</summary>
    public static readonly TimeSpan ReactivationPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How far back bad answers are counted toward a backend's failure rate.</summary>
    public static readonly TimeSpan FailureWindow = TimeSpan.FromSeconds(10);

    /// <summary>The fewest bad answers in the window that can take a backend out of rotation.</summary>
    public const int MinimumFailures = 10;

    /// <summary>The share of the window's requests that must have failed before a backend leaves rotation.</summary>
    public const double FailureRateLimit = 0.5;
}
