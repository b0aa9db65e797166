using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The gateway's options the standard way: bound from the <c>Gateway</c> section, validated by
/// <see cref="GatewayOptionsValidator"/> and on start. <see cref="TryRead"/> binds and validates them the same
/// way before the host is built, so that a bad value stops start-up with one line instead of an exception.
/// </summary>
internal static class GatewayOptionsBinding
{
    public static IServiceCollection AddGatewayOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.Section))
            .PostConfigure(options =>
            {
                options.AdminToken = Secret(options.AdminToken, GatewayOptions.AdminTokenVariable);
                options.PinKey = Secret(options.PinKey, GatewayOptions.PinKeyVariable);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>>(new GatewayOptionsValidator(configuration));
        return services;
    }

    /// <summary>A secret (the admin token, the pin key) from the configuration, else from the environment; none when blank.</summary>
    private static string? Secret(string? configured, string variable) =>
        (string.IsNullOrWhiteSpace(configured) ? Environment.GetEnvironmentVariable(variable) : configured)?.Trim() is { Length: > 0 } secret
            ? secret
            : null;

    /// <summary>The bound options, or the one line that says why they cannot be.</summary>
    private static bool TryGet(IServiceProvider services, IConfiguration configuration, [NotNullWhen(true)] out GatewayOptions? options, out string error)
    {
        try
        {
            options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
            error = "";
            return true;
        }
        catch (OptionsValidationException ex)
        {
            error = ex.Failures.First();
        }
        catch (InvalidOperationException)
        {
            // The binder could not convert a value; name the first that does not convert.
            error = FirstUnconvertible(configuration) ?? "Invalid Gateway section in the configuration.";
        }

        options = null;
        return false;
    }

    /// <summary>Reads options from <paramref name="configuration"/> alone, as the gateway would at start-up.</summary>
    public static bool TryRead(IConfiguration configuration, [NotNullWhen(true)] out GatewayOptions? options, out string error)
    {
        using var services = new ServiceCollection().AddGatewayOptions(configuration).BuildServiceProvider();
        return TryGet(services, configuration, out options, out error);
    }

    private static string? FirstUnconvertible(IConfiguration configuration)
    {
        foreach (var property in typeof(GatewayOptions).GetProperties().Where(p => p.CanWrite))
        {
            var key = GatewayOptions.Section + ":" + property.Name;
            if (configuration[key] is not { } value)
            {
                continue;
            }

            try
            {
                TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType).ConvertFromInvariantString(value);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException)
            {
                return GatewayOptionsValidator.Invalid(key, value, GatewayOptionsValidator.Expected(property));
            }
        }

        return null;
    }
}
