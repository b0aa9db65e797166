using System.ComponentModel.DataAnnotations;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Hosting;

/// <summary>
/// Settings of one BackendApp process, bound from the <c>Backend</c> section. The keys the gateway sets when
/// it spawns a backend are <see cref="BackendConfigurationKeys"/>, which its launcher writes too.
/// </summary>
internal sealed class BackendOptions : IValidatableObject
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string Section = BackendConfigurationKeys.Section;

    /// <summary>
    /// The backend's id, the same as its YARP destination id ("1", "2", ...). Sent as <c>X-Backend</c>
    /// and in every JSON answer. Default "1".
    /// </summary>
    [Required]
    [ConfigurationKeyName(BackendConfigurationKeys.Id)]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Backend:Id must be 1 to 64 letters, digits, '-' or '_'.")]
    public string Id { get; set; } = "1";

    /// <summary>
    /// Where sessions live: <c>memory</c> (this process only), <c>redis</c> (shared: sessions and the key ring in a
    /// Redis-protocol store) or <c>replicated</c> (on every backend, the <c>Replicated</c> section); see
    /// <see cref="StoreModeNames"/>. Default <c>memory</c>.
    /// </summary>
    [ConfigurationKeyName(BackendConfigurationKeys.Store)]
    [RegularExpression(StoreModeNames.Pattern, ErrorMessage = "Backend:Store must be 'memory', 'redis' or 'replicated'.")]
    public string Store { get; set; } = StoreModeNames.Memory;

    /// <summary>
    /// The store as a StackExchange.Redis configuration string (<c>host:port</c>, with <c>password=</c>,
    /// <c>ssl=true</c>, ...); required in redis mode. The gateway hands it down in the environment
    /// (<c>Backend__Redis</c>), never on the command line, where it and its password would be visible to
    /// every user of the machine. Default none.
    /// </summary>
    [ConfigurationKeyName(BackendConfigurationKeys.Redis)]
    public string? Redis { get; set; }

    /// <summary>
    /// The prefix of every key StickyLb writes to the store (RedisCache's <c>InstanceName</c>): sessions
    /// are <c>{prefix}{session key}</c>, the key ring is <c>{prefix}DataProtection-Keys</c>. Default <c>StickyLb:</c>.
    /// </summary>
    public string RedisKeyPrefix { get; set; } = "StickyLb:";

    /// <summary>
    /// The process id of the gateway that spawned this backend; the backend stops when that process
    /// is gone, so a gateway that dies without cleaning up leaves no orphans. 0 (default): no watch.
    /// </summary>
    [Range(0, int.MaxValue)]
    [ConfigurationKeyName(BackendConfigurationKeys.ParentPid)]
    public int ParentPid { get; set; }

    /// <summary>How long an idle session lives. Default 20 minutes.</summary>
    [ConfigurationKeyName(BackendConfigurationKeys.IdleTimeout)]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// The gateways whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> this backend believes, besides
    /// loopback (always trusted: a spawned backend's gateway is on this machine): comma-separated IP addresses
    /// and CIDR networks, e.g. <c>10.0.0.5,10.0.1.0/24</c>. A request from anywhere else is taken as it
    /// came, its <c>X-Forwarded-*</c> headers ignored: whoever can reach the backend directly could write
    /// them. Default none (loopback only).
    /// </summary>
    public string? TrustedProxies { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Hosting.TrustedProxies.TryParse(TrustedProxies, out _, out _, out var invalid))
        {
            yield return new ValidationResult($"Backend:TrustedProxies '{invalid}' is not an IP address or a CIDR network (e.g. 10.0.0.5 or 10.0.0.0/24).", [nameof(TrustedProxies)]);
        }

        if (Store == StoreModeNames.Redis && string.IsNullOrWhiteSpace(Redis))
        {
            yield return new ValidationResult("Backend:Redis (host:port) is required with Backend:Store redis.", [nameof(Redis)]);
        }
        else if (Store == StoreModeNames.Redis && !StoreConfiguration.TryParse(Redis!, out _, out var error))
        {
            yield return new ValidationResult($"Backend:Redis '{StoreConfiguration.Mask(Redis!)}' is not a StackExchange.Redis configuration string: {error}", [nameof(Redis)]);
        }
    }
}
