using System.Globalization;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Forwarding;

/// <summary>Checks <see cref="BackendConnectionsOptions"/> at start-up; each problem one line naming the key, the value and what is allowed.</summary>
internal sealed class BackendConnectionsOptionsValidator : IValidateOptions<BackendConnectionsOptions>
{
    public ValidateOptionsResult Validate(string? name, BackendConnectionsOptions options)
    {
        var problem =
            !BackendConnectionsOptions.IsValidQuietPeriod(options.QuietPeriod)
                ? Invalid(nameof(options.QuietPeriod), Format(options.QuietPeriod), BackendConnectionsOptions.ExpectedQuietPeriod)
            : !BackendConnectionsOptions.IsValidIdleTimeout(options.IdleTimeout, options.QuietPeriod)
                ? Invalid(nameof(options.IdleTimeout), Format(options.IdleTimeout), BackendConnectionsOptions.ExpectedIdleTimeout)
            : !Enum.IsDefined(options.Sharing)
                ? Invalid(nameof(options.Sharing), options.Sharing.ToString(), BackendConnectionsOptions.ExpectedSharing)
            : null;
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }

    /// <summary>
    /// Binds and checks the options from <paramref name="configuration"/> alone, as start-up will, so that a bad value
    /// stops start-up with one line rather than an exception.
    /// </summary>
    public static bool TryRead(IConfiguration configuration, out string error)
    {
        if (!OptionsSectionReader.TryBind<BackendConnectionsOptions>(configuration.GetSection(BackendConnectionsOptions.Section), Expected, out var options, out error))
        {
            return false;
        }

        var result = new BackendConnectionsOptionsValidator().Validate(null, options);
        error = result.Failed ? result.FailureMessage : "";
        return !result.Failed;
    }

    private static string Expected(string property) => property switch
    {
        nameof(BackendConnectionsOptions.QuietPeriod) => BackendConnectionsOptions.ExpectedQuietPeriod,
        nameof(BackendConnectionsOptions.IdleTimeout) => BackendConnectionsOptions.ExpectedIdleTimeout,
        _ => BackendConnectionsOptions.ExpectedSharing,
    };

    private static string Format(TimeSpan period) => period.ToString("c", CultureInfo.InvariantCulture);

    private static string Invalid(string property, string value, string expected) =>
        OptionsSectionReader.Invalid(BackendConnectionsOptions.Section, property, value, expected);
}
