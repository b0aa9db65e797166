namespace StickyLb.Proxy.Health;

/// <summary>Names and defaults of the health feature.</summary>
public static class HealthDefaults
{
    /// <summary>The passive policy name to put in <c>HealthCheck:Passive:Policy</c>.</summary>
    public const string FirstFailurePolicyName = "FirstFailure";

    /// <summary>How long a backend stays out after a failed request when the config names no period.</summary>
    public static readonly TimeSpan ReactivationPeriod = TimeSpan.FromSeconds(1);
}
