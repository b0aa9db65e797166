using System.Globalization;
using StickyLb.Shared;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// Reads and checks <see cref="GatewayOptions"/> and the parts of the <c>ReverseProxy</c> section the
/// gateway depends on. Every problem becomes one line naming the option, the value and what is
/// allowed, so that a bad start-up never ends in a stack trace.
/// </summary>
internal static class GatewayOptionsReader
{
    public static bool TryRead(IConfiguration configuration, out GatewayOptions options, out string error)
    {
        options = new GatewayOptions();
        error = ReadInto(configuration, options) ?? CheckReverseProxy(configuration, options) ?? "";
        return error.Length == 0;
    }

    private static string? ReadInto(IConfiguration configuration, GatewayOptions options)
    {
        var section = configuration.GetSection(GatewayOptions.Section);

        if (section["Store"] is { } store)
        {
            if (!TryParseName<StoreMode>(store, out var mode))
            {
                return Invalid("store", store, "memory, redis or replicated");
            }

            options.Store = mode;
        }

        if (section["Replication"] is { } replication)
        {
            if (!TryParseName<ReplicationMode>(replication, out var mode))
            {
                return Invalid("replication", replication, "sync or async");
            }

            options.Replication = mode;
        }

        if (section["Failover"] is { } failover)
        {
            if (!TryParseFailover(failover, out var mode))
            {
                return Invalid("failover", failover, "Redistribute or Return503Error (alias 503), in any case");
            }

            options.Failover = mode;
        }

        if (section["Forwarder"] is not null)
        {
            return "The option --forwarder (Gateway:Forwarder) was removed: every request goes through YARP's forwarder. Remove it from the command line or appsettings.json.";
        }

        if (section["Redis"] is { Length: > 0 } redis)
        {
            if (!StoreConfiguration.TryParse(redis, out _, out var reason))
            {
                return Invalid("redis", StoreConfiguration.Mask(redis), $"a StackExchange.Redis configuration string such as 127.0.0.1:6379 or redis.example.com:6380,password=...,ssl=true ({reason.TrimEnd('.')})");
            }

            options.Redis = redis;
        }

        if (section["Affinity"] is { } affinity)
        {
            if (!TryParseSwitch(affinity, out var on))
            {
                return Invalid("affinity", affinity, "on or off");
            }

            options.Affinity = on;
        }

        if (section["Spawn"] is { } spawn)
        {
            if (!bool.TryParse(spawn, out var value))
            {
                return Invalid("spawn", spawn, "true or false");
            }

            options.Spawn = value;
        }

        var problem = ReadInt(section, "Backends", "backends", 1, GatewayOptions.MaxBackends, v => options.Backends = v)
            ?? ReadInt(section, "Port", "port", 0, 65535, v => options.Port = v)
            ?? ReadInt(section, "AdminPort", "admin-port", 0, 65535, v => options.AdminPort = v)
            ?? ReadInt(section, "BackendPort", "backend-port", 1, 65535 - options.Backends + 1, v => options.BackendPort = v)
            ?? ReadInt(section, "StorePort", "store-port", 1, 65535, v => options.StorePort = v)
            ?? ReadInt(section, "IdleTimeout", "idle-timeout", 1, 86400, v => options.IdleTimeout = v);
        if (problem is not null)
        {
            return problem;
        }

        if (options.Port != 0 && options.Port == options.AdminPort)
        {
            return $"Invalid admin-port '{options.AdminPort}' (--admin-port or Gateway:AdminPort): it must differ from the gateway port.";
        }

        if (options.Spawn)
        {
            var first = options.BackendPort;
            var last = options.BackendPort + options.Backends - 1;
            var embeddedStore = options.Store == StoreMode.Redis && options.Redis is null;
            foreach (var (name, port) in new[] { ("port", options.Port), ("admin-port", options.AdminPort), ("store-port", embeddedStore ? options.StorePort : 0) })
            {
                if (port >= first && port <= last)
                {
                    return $"Invalid {name} '{port}' (--{name}): the backends use ports {first}-{last}; choose another port or --backend-port.";
                }
            }
        }

        return null;
    }

    private static string? CheckReverseProxy(IConfiguration configuration, GatewayOptions options)
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

        var clusters = configuration.GetSection("ReverseProxy:Clusters");
        if (!clusters.GetSection(GatewayOptions.ClusterId).Exists())
        {
            return $"Missing ReverseProxy:Clusters:{GatewayOptions.ClusterId}: the gateway proxies to that cluster{(options.Spawn ? " and spawns its backends into it" : "")}.";
        }

        return null;
    }

    /// <summary><c>on</c>/<c>off</c>, or <c>true</c>/<c>false</c> as appsettings.json would write it, in any case.</summary>
    private static bool TryParseSwitch(string value, out bool on)
    {
        on = value.Equals("on", StringComparison.OrdinalIgnoreCase) || value.Equals("true", StringComparison.OrdinalIgnoreCase);
        return on || value.Equals("off", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    public static bool TryParseFailover(string value, out FailoverMode mode)
    {
        if (value == "503")
        {
            mode = FailoverMode.Return503Error;
            return true;
        }

        return TryParseName(value, out mode);
    }

    /// <summary>One of the enum's names in any case: not a number, and not a comma-separated list of names.</summary>
    private static bool TryParseName<T>(string value, out T result)
        where T : struct, Enum =>
        Enum.TryParse(value, ignoreCase: true, out result) && Enum.IsDefined(result) && !IsNumber(value) && !value.Contains(',');

    private static string? ReadInt(IConfigurationSection section, string key, string option, int min, int max, Action<int> set)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            return Invalid(option, text, $"a whole number from {min} to {max}");
        }

        set(value);
        return null;
    }

    private static bool IsNumber(string value) => value.Length > 0 && value.All(char.IsAsciiDigit);

    private static string Invalid(string option, string value, string allowed) =>
        $"Invalid {option} '{value}' (--{option} or {GatewayOptions.Section}:{Pascal(option)}): expected {allowed}.";

    private static string Pascal(string option) =>
        string.Concat(option.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
