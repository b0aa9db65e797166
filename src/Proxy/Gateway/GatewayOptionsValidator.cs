using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Admin;
using StickyLb.Shared;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// Checks the bound <see cref="GatewayOptions"/> and the parts of the <c>ReverseProxy</c> section the
/// gateway depends on. Every problem is one line naming the option, the value and what is allowed, so
/// that a bad start-up never ends in a stack trace.
/// </summary>
internal sealed class GatewayOptionsValidator(IConfiguration configuration) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var problem = CheckRanges(options) ?? CheckValues(options) ?? CheckPins(options) ?? CheckBackends(options) ?? CheckListeners(options) ?? CheckAdminListener(options) ?? CheckPorts(options) ?? CheckReverseProxy(options);
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }

    /// <summary>The one-line error for <paramref name="value"/> of the option under configuration key <paramref name="key"/>.</summary>
    public static string Invalid(string key, string value, string allowed)
    {
        var option = GatewayCommandLine.Options.FirstOrDefault(o => o.Key == key)?.Name.TrimStart('-') ?? key;
        return $"Invalid {option} '{value}' (--{option} or {key}): expected {allowed}.";
    }

    /// <summary>What a value of the property <paramref name="property"/> may be, as the error for a bad one says it.</summary>
    public static string Expected(PropertyInfo property) =>
        property.GetCustomAttribute<RangeAttribute>() is { } range
            ? property.PropertyType == typeof(double) ? $"a number from {range.Minimum} to {range.Maximum}" : $"a whole number from {range.Minimum} to {range.Maximum}"
        : property.PropertyType == typeof(bool) ? "true or false"
        : System.ComponentModel.TypeDescriptor.GetConverter(property.PropertyType) is IExpectedValues values ? values.Expected
        : "a " + property.PropertyType.Name;

    private static string? CheckRanges(GatewayOptions options)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return null;
        }

        var member = results[0].MemberNames.First();
        var property = typeof(GatewayOptions).GetProperty(member)!;
        return Invalid(GatewayOptions.Section + ":" + member, Convert.ToString(property.GetValue(options), CultureInfo.InvariantCulture) ?? "", Expected(property));
    }

    private static string? CheckValues(GatewayOptions options)
    {
        if (CheckPlacement(options) is { } placement)
        {
            return placement;
        }

        if (options.Forwarder is not null)
        {
            return "The option --forwarder (Gateway:Forwarder) was removed: every request goes through YARP's forwarder. Remove it from the command line or appsettings.json.";
        }

        if (options.Redis is { Length: > 0 } redis && !StoreConfiguration.TryParse(redis, out _, out var reason))
        {
            return Invalid("Gateway:Redis", StoreConfiguration.Mask(redis), $"a StackExchange.Redis configuration string such as 127.0.0.1:6379 or redis.example.com:6380,password=...,ssl=true ({reason.TrimEnd('.')})");
        }

        var lastBackendPort = 65535 - options.Backends + 1;
        return options.BackendPort > lastBackendPort
            ? Invalid("Gateway:BackendPort", options.BackendPort.ToString(CultureInfo.InvariantCulture), $"a whole number from 1 to {lastBackendPort}")
            : null;
    }

    /// <summary>
    /// <c>--pin-max-idle</c> and <c>--pin-max-life</c>: only with affinity on, and only with a key every gateway shares,
    /// long enough for HMAC-SHA256. The key is a secret: no line here ever contains it.
    /// </summary>
    private static string? CheckPins(GatewayOptions options)
    {
        if (!options.HasPinLifetimes)
        {
            return null;
        }

        var (option, key) = options.PinMaxIdle is not null ? ("--pin-max-idle", "Gateway:PinMaxIdle") : ("--pin-max-life", "Gateway:PinMaxLife");
        if (!options.IsAffinityOn)
        {
            return $"The option {option} ({key}) needs --affinity on: without affinity there is no pin to expire.";
        }

        if (options.PinKey is null)
        {
            return $"The option {option} ({key}) needs a key that every gateway shares, to sign the pin's times in the cookie: set the environment variable {GatewayOptions.PinKeyVariable} (or Gateway:PinKey) to at least {Affinity.PinCookieCodec.MinKeyBytes} random characters, e.g. the output of 'openssl rand -base64 32'.";
        }

        return System.Text.Encoding.UTF8.GetByteCount(options.PinKey) < Affinity.PinCookieCodec.MinKeyBytes
            ? $"The pin key ({GatewayOptions.PinKeyVariable} or Gateway:PinKey) of {option} is too short: HMAC-SHA256 needs at least {Affinity.PinCookieCodec.MinKeyBytes} bytes; use e.g. the output of 'openssl rand -base64 32' (the key itself is not shown)."
            : null;
    }

    /// <summary><c>--balance</c> (a policy the gateway has) and <c>--rebalance</c> (off, or a factor, never in memory mode).</summary>
    private static string? CheckPlacement(GatewayOptions options)
    {
        if (options.Balance is { } balance && !Placement.PlacementDefaults.Policies.Contains(balance.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            return Invalid("Gateway:Balance", balance, string.Join(", ", Placement.PlacementDefaults.Policies.SkipLast(1)) + " or " + Placement.PlacementDefaults.Policies[^1]);
        }

        if (!GatewayOptions.TryParseRebalance(options.Rebalance, out var factor))
        {
            return Invalid("Gateway:Rebalance", options.Rebalance, "off or a factor above 1 (at most 100), such as 1.25");
        }

        return factor is not null && options.Store == StoreMode.Memory
            ? $"Invalid rebalance '{options.Rebalance}' (--rebalance or Gateway:Rebalance): refused in memory mode, where moving a user to another backend logs it out; use --store redis or replicated, or --rebalance off."
            : null;
    }

    private static string? CheckListeners(GatewayOptions options)
    {
        var urls = new List<ListenUrl>();
        foreach (var text in options.Listen)
        {
            if (!ListenUrl.TryParse(text, out var url, out var reason))
            {
                return Invalid("Gateway:Listen", text, reason);
            }

            urls.Add(url);
        }

        if (options.CertificateKey is not null && options.Certificate is null)
        {
            return $"Invalid certificate-key '{options.CertificateKey}' (--certificate-key): it is the key of --certificate, which is not given.";
        }

        var adminIsHttps = options.AdminListen is { } adminListen && AdminListenAddress.TryParse(adminListen, out var admin, out _) && admin.IsHttps;
        if (!urls.Any(url => url.IsHttps) && !adminIsHttps)
        {
            return options.Certificate is null
                ? null
                : $"Invalid certificate '{options.Certificate}' (--certificate): no listener uses it; add an https:// --listen or --admin-listen URL.";
        }

        if (options.Certificate is null)
        {
            return urls.FirstOrDefault(url => url.IsHttps) is { } https
                ? $"Invalid listen '{https}' (--listen): an https:// listener needs --certificate (a PEM certificate with --certificate-key, or a PFX)."
                : $"Invalid admin-listen '{options.AdminListen}' (--admin-listen): an https:// listener needs --certificate (a PEM certificate with --certificate-key, or a PFX).";
        }

        if (!GatewayCertificate.TryLoad(options, out var certificate, out var error))
        {
            return error;
        }

        certificate.Dispose();
        return null;
    }

    /// <summary>
    /// <c>--admin-listen</c> (a URL Kestrel can bind, not beside <c>--admin-port</c>), and the token a non-loopback admin
    /// listener needs. The token is a secret: no line here ever contains it.
    /// </summary>
    private string? CheckAdminListener(GatewayOptions options)
    {
        if (options.AdminListen is not { } url)
        {
            return null;
        }

        if (configuration[GatewayOptions.Section + ":" + nameof(GatewayOptions.AdminPort)] is not null)
        {
            return $"The options --admin-port (Gateway:AdminPort) and --admin-listen (Gateway:AdminListen) exclude each other: give the port in the URL, e.g. --admin-listen http://127.0.0.1:{options.AdminPort}.";
        }

        if (!AdminListenAddress.TryParse(url, out var address, out var problem))
        {
            return problem;
        }

        return address.IsLoopback || options.AdminToken is not null
            ? null
            : $"The admin listener '{url}' (--admin-listen or Gateway:AdminListen) is not on loopback, so every admin request needs a bearer token: set the environment variable {GatewayOptions.AdminTokenVariable} (or Gateway:AdminToken).";
    }

    /// <summary><c>--backend</c> (only with <c>--spawn false</c>, absolute http(s) URLs, at most 16) and <c>--health-path</c>.</summary>
    private static string? CheckBackends(GatewayOptions options)
    {
        const string backendKey = GatewayOptions.Section + ":" + nameof(GatewayOptions.Backend);
        if (options.Backend.Count > 0 && options.Spawn)
        {
            return Invalid(backendKey, options.Backend[0], "it only with --spawn false (a gateway that spawns its backends runs them on 127.0.0.1 itself)");
        }

        if (options.Backend.Count > GatewayOptions.MaxBackends)
        {
            return $"Too many backends ({options.Backend.Count}) (--backend or {backendKey}): expected at most {GatewayOptions.MaxBackends}.";
        }

        foreach (var url in options.Backend)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
                || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                return Invalid(backendKey, url, "an absolute http:// or https:// URL such as http://10.0.0.5:8080 (no query, fragment or user)");
            }
        }

        return options.HealthPath is { } path && !path.StartsWith('/') && !Health.HealthDefaults.IsNone(path)
            ? Invalid(GatewayOptions.Section + ":" + nameof(GatewayOptions.HealthPath), path, "a path starting with / (such as /healthz or /), or none for passive health only")
            : null;
    }

    private static string? CheckPorts(GatewayOptions options)
    {
        var adminPort = AdminListenAddress.From(options).Port;
        var adminOption = options.AdminListen is null ? "admin-port" : "admin-listen";
        if (options.Listen.Count == 0 && options.Port != 0 && options.Port == adminPort)
        {
            return options.AdminListen is null
                ? $"Invalid admin-port '{options.AdminPort}' (--admin-port or Gateway:AdminPort): it must differ from the gateway port."
                : $"Invalid admin-listen '{options.AdminListen}' (--admin-listen or Gateway:AdminListen): its port must differ from the gateway port.";
        }

        if (!options.Spawn)
        {
            return null;
        }

        var first = options.BackendPort;
        var last = options.BackendPort + options.Backends - 1;
        var embeddedStore = options.Store == StoreMode.Redis && options.Redis is null;
        var listeners = GatewayListeners.GatewayUrlsOf(options).Select(url => (options.Listen.Count == 0 ? "port" : "listen", url.Port));
        foreach (var (name, port) in listeners.Concat([(adminOption, adminPort), ("store-port", embeddedStore ? options.StorePort : 0)]))
        {
            if (port >= first && port <= last)
            {
                return $"Invalid {name} '{port}' (--{name}): the backends use ports {first}-{last}; choose another port or --backend-port.";
            }
        }

        return null;
    }

    private string? CheckReverseProxy(GatewayOptions options)
    {
        foreach (var route in configuration.GetSection("ReverseProxy:Routes").GetChildren())
        {
            foreach (var setting in GatewayPipelineExtensions.UnsupportedRouteSettings)
            {
                if (!string.IsNullOrEmpty(route[setting]))
                {
                    return $"Unsupported ReverseProxy:Routes:{route.Key}:{setting} '{route[setting]}': the gateway runs no authentication, authorization or CORS middleware; remove the setting.";
                }
            }
        }

        return configuration.GetSection("ReverseProxy:Clusters").GetSection(GatewayOptions.ClusterId).Exists()
            ? null
            : $"Missing ReverseProxy:Clusters:{GatewayOptions.ClusterId}: the gateway proxies to that cluster{(options.Spawn ? " and spawns its backends into it" : "")}.";
    }
}
