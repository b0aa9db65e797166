using System.Globalization;

namespace StickyLb.Proxy.Health;

/// <summary>
/// The thresholds of <see cref="BackendFaultsPassivePolicy"/>, bound from <c>Gateway:PassiveHealth</c>. A cluster
/// can override the failure-rate rule in its <c>Metadata</c> with the <c>BackendFaults.*</c> keys below, as YARP's
/// <c>TransportFailureRateHealthPolicy.RateLimit</c> does; its reactivation period is YARP's own
/// <c>HealthCheck:Passive:ReactivationPeriod</c>, and <see cref="ReactivationPeriod"/> applies when it names none.
/// </summary>
internal sealed class BackendFaultsPassivePolicyOptions
{
    public const string Section = "Gateway:PassiveHealth";

    /// <summary>Cluster metadata key overriding <see cref="FailureWindow"/>, e.g. <c>"00:00:30"</c>.</summary>
    public const string FailureWindowMetadataName = "BackendFaults.FailureWindow";

    /// <summary>Cluster metadata key overriding <see cref="MinimumFailures"/>, e.g. <c>"20"</c>.</summary>
    public const string MinimumFailuresMetadataName = "BackendFaults.MinimumFailures";

    /// <summary>Cluster metadata key overriding <see cref="FailureRateLimit"/>, e.g. <c>"0.8"</c>.</summary>
    public const string FailureRateLimitMetadataName = "BackendFaults.FailureRateLimit";

    /// <summary>The longest <see cref="FailureWindow"/>: one bucket per second is kept for each backend.</summary>
    public static readonly TimeSpan MaxFailureWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// How far back bad answers are counted toward a backend's failure rate, in whole seconds from 1 s to 1 h.
    /// Default: 10 seconds.
    /// </summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The fewest bad answers within <see cref="FailureWindow"/> that can take a backend out of rotation, at
    /// least 1: one client hammering one broken endpoint must not be enough. Default: 10.
    /// </summary>
    public int MinimumFailures { get; set; } = 10;

    /// <summary>
    /// The share of the window's requests that must have failed before a backend leaves rotation, above 0 and
    /// at most 1. Default: 0.5 (half).
    /// </summary>
    public double FailureRateLimit { get; set; } = 0.5;

    /// <summary>
    /// How long a backend stays out after a fault when its cluster's <c>HealthCheck:Passive:ReactivationPeriod</c>
    /// names no period; more than zero. Default: 1 second.
    /// </summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether <paramref name="window"/> is a valid <see cref="FailureWindow"/>.</summary>
    public static bool IsValidFailureWindow(TimeSpan window) =>
        window >= TimeSpan.FromSeconds(1) && window <= MaxFailureWindow && window.Ticks % TimeSpan.TicksPerSecond == 0;

    /// <summary>Whether <paramref name="failures"/> is a valid <see cref="MinimumFailures"/>.</summary>
    public static bool IsValidMinimumFailures(int failures) => failures >= 1;

    /// <summary>Whether <paramref name="limit"/> is a valid <see cref="FailureRateLimit"/>.</summary>
    public static bool IsValidFailureRateLimit(double limit) => limit is > 0 and <= 1;

    /// <summary>What a valid <see cref="FailureWindow"/> is, as an error says it.</summary>
    public const string ExpectedFailureWindow = "whole seconds from 00:00:01 to 01:00:00";

    /// <summary>What a valid <see cref="MinimumFailures"/> is, as an error says it.</summary>
    public const string ExpectedMinimumFailures = "a whole number from 1";

    /// <summary>What a valid <see cref="FailureRateLimit"/> is, as an error says it.</summary>
    public const string ExpectedFailureRateLimit = "a number above 0 and at most 1, such as 0.5";

    /// <summary>The rule for a cluster: these options, overridden by what its metadata sets validly; <paramref name="invalid"/> hears of each key it ignores.</summary>
    public BackendFaultsThresholds For(IReadOnlyDictionary<string, string>? metadata, Action<string, string, string> invalid)
    {
        var window = Override(metadata, FailureWindowMetadataName, FailureWindow, ExpectedFailureWindow, invalid,
            static (string text, out TimeSpan value) => TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && IsValidFailureWindow(value));
        var minimum = Override(metadata, MinimumFailuresMetadataName, MinimumFailures, ExpectedMinimumFailures, invalid,
            static (string text, out int value) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && IsValidMinimumFailures(value));
        var limit = Override(metadata, FailureRateLimitMetadataName, FailureRateLimit, ExpectedFailureRateLimit, invalid,
            static (string text, out double value) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && IsValidFailureRateLimit(value));
        return new BackendFaultsThresholds((int)window.TotalSeconds, minimum, limit);
    }

    private delegate bool Parser<T>(string text, out T value);

    private static T Override<T>(IReadOnlyDictionary<string, string>? metadata, string key, T fallback, string expected, Action<string, string, string> invalid, Parser<T> parse)
    {
        if (metadata is null || !metadata.TryGetValue(key, out var text))
        {
            return fallback;
        }

        if (parse(text, out var value))
        {
            return value;
        }

        invalid(key, text, expected);
        return fallback;
    }
}
