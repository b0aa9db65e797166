using StickyLb.Shared;

namespace StickyLb.Proxy.Health;

/// <summary>Names and defaults of the health feature.</summary>
internal static class HealthDefaults
{
    /// <summary>The passive policy name to put in <c>HealthCheck:Passive:Policy</c>.</summary>
    public const string PassivePolicyName = "BackendFaults";


    /// <summary>The active probe's default path with <c>--spawn false</c>: every web app answers its root.</summary>
    public const string OwnAppHealthPath = "/";

    /// <summary>The <c>--health-path</c> value that turns active probes off.</summary>
    public const string NoHealthPath = "none";

    /// <summary>The active probe's path when neither <c>--health-path</c> nor the configuration names one.</summary>
    public static string DefaultHealthPath(bool spawn) => spawn ? HealthResponse.Path : OwnAppHealthPath;

    /// <summary>Whether a <c>--health-path</c> value turns active probes off.</summary>
    public static bool IsNone(string healthPath) => string.Equals(healthPath, NoHealthPath, StringComparison.OrdinalIgnoreCase);
}
