using System.Globalization;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Health;

/// <summary>Checks <see cref="BackendFaultsPassivePolicyOptions"/> at start-up; each problem one line naming the key, the value and what is allowed.</summary>
internal sealed class BackendFaultsPassivePolicyOptionsValidator : IValidateOptions<BackendFaultsPassivePolicyOptions>
{
    private const string ExpectedReactivationPeriod = "a period above zero, such as 00:00:01";

    public ValidateOptionsResult Validate(string? name, BackendFaultsPassivePolicyOptions options)
    {
        var problem =
            !BackendFaultsPassivePolicyOptions.IsValidFailureWindow(options.FailureWindow)
                ? Invalid(nameof(options.FailureWindow), options.FailureWindow.ToString("c", CultureInfo.InvariantCulture), BackendFaultsPassivePolicyOptions.ExpectedFailureWindow)
            : !BackendFaultsPassivePolicyOptions.IsValidMinimumFailures(options.MinimumFailures)
                ? Invalid(nameof(options.MinimumFailures), options.MinimumFailures.ToString(CultureInfo.InvariantCulture), BackendFaultsPassivePolicyOptions.ExpectedMinimumFailures)
            : !BackendFaultsPassivePolicyOptions.IsValidFailureRateLimit(options.FailureRateLimit)
                ? Invalid(nameof(options.FailureRateLimit), options.FailureRateLimit.ToString(CultureInfo.InvariantCulture), BackendFaultsPassivePolicyOptions.ExpectedFailureRateLimit)
            : options.ReactivationPeriod <= TimeSpan.Zero
                ? Invalid(nameof(options.ReactivationPeriod), options.ReactivationPeriod.ToString("c", CultureInfo.InvariantCulture), ExpectedReactivationPeriod)
            : null;
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }

    /// <summary>
    /// Binds and checks the options from <paramref name="configuration"/> alone, as start-up will: called before the
    /// host is built (the proxy's config manager creates the policy while the endpoints are mapped), so that a bad
    /// value is one line, not an exception.
    /// </summary>
    public static bool TryRead(IConfiguration configuration, out string error)
    {
        if (!OptionsSectionReader.TryBind<BackendFaultsPassivePolicyOptions>(configuration.GetSection(BackendFaultsPassivePolicyOptions.Section), Expected, out var options, out error))
        {
            return false;
        }

        var result = new BackendFaultsPassivePolicyOptionsValidator().Validate(null, options);
        error = result.Failed ? result.FailureMessage : "";
        return !result.Failed;
    }

    private static string Expected(string property) => property switch
    {
        nameof(BackendFaultsPassivePolicyOptions.FailureWindow) => BackendFaultsPassivePolicyOptions.ExpectedFailureWindow,
        nameof(BackendFaultsPassivePolicyOptions.MinimumFailures) => BackendFaultsPassivePolicyOptions.ExpectedMinimumFailures,
        nameof(BackendFaultsPassivePolicyOptions.FailureRateLimit) => BackendFaultsPassivePolicyOptions.ExpectedFailureRateLimit,
        _ => ExpectedReactivationPeriod,
    };

    private static string Invalid(string property, string value, string expected) =>
        OptionsSectionReader.Invalid(BackendFaultsPassivePolicyOptions.Section, property, value, expected);
}
