using System.Text;
using StickyLb.Shared;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The gateway's command line: the documented options (each mapped onto the <c>Gateway</c> configuration
/// section, with its values and default for <c>--help</c>), and the check that refuses anything else
/// before the gateway starts. ASP.NET Core's own form, <c>--Section:Key value</c> (any configuration key,
/// YARP's <c>--ReverseProxy:...</c> included), passes through untouched.
/// </summary>
internal static class GatewayCommandLine
{
    /// <summary>One documented option; a <paramref name="Repeatable"/> one binds to a list (<c>Key:0</c>, <c>Key:1</c>, ...).</summary>
    public sealed record Option(string Name, string Key, string Values, string Default, string Description, bool Repeatable = false);

    public static readonly IReadOnlyList<Option> Options =
    [
        new("--store", "Gateway:Store", string.Join('|', StoreModeNames.All), StoreModeNames.Memory, "where sessions live: each backend's memory, one shared store, or every backend (replicated)"),
        new("--replication", "Gateway:Replication", string.Join('|', ReplicationModeNames.All), ReplicationModeNames.Sync, "replicated mode: a change acknowledged by a majority of the backends, or locally"),
        new("--redis", "Gateway:Redis", "CONFIG", "an embedded store", "an existing store for redis mode, as a StackExchange.Redis configuration string"),
        new("--store-port", "Gateway:StorePort", "PORT", "6380", "the embedded store's port on 127.0.0.1"),
        new("--store-dir", "Gateway:StoreDir", "DIR", "stickylb-store-PORT in the temp folder, emptied at start", "the embedded store's data directory (its append-only file); one given here is kept across gateway runs"),
        new("--failover", "Gateway:Failover", "Redistribute|Return503Error", "Redistribute", "what a user pinned to a dead backend gets (flippable live)"),
        new("--affinity", "Gateway:Affinity", "on|off", "on", "pin each client to a backend with the server cookie, or balance every request"),
        new("--balance", "Gateway:Balance", string.Join('|', StickyLb.Proxy.Placement.PlacementDefaults.Policies), "LeastSessions (RoundRobin with --affinity off)", "how a new pin is placed: fewest live sessions (ties round robin, with slow start), or a YARP load-balancing policy"),
        new("--slow-start", "Gateway:SlowStart", "SECONDS", "10", "seconds over which a backend that just came up ramps to its full share of new sessions (0: off)"),
        new("--rebalance", "Gateway:Rebalance", "off|FACTOR", "off", "redis and replicated mode: users pinned to a backend serving more than FACTOR x the mean are re-pinned to the least loaded one"),
        new("--backends", "Gateway:Backends", "1..16", "3", "how many backends to spawn"),
        new("--listen", "Gateway:Listen", "URL", "http://127.0.0.1:5000", "a URL the gateway listens on, repeatable: http:// or https://, any address and port", Repeatable: true),
        new("--certificate", "Gateway:Certificate", "PATH", "none", "the HTTPS listeners' certificate: PEM (with --certificate-key) or PFX (password in STICKYLB_CERTIFICATE_PASSWORD)"),
        new("--certificate-key", "Gateway:CertificateKey", "PATH", "none", "the PEM private key of --certificate"),
        new("--port", "Gateway:Port", "PORT", "5000", "the port of the default listener on 127.0.0.1 when no --listen is given (0: any free port)"),
        new("--admin-port", "Gateway:AdminPort", "PORT", "5001", "the admin API, dashboard and /metrics port on 127.0.0.1, when no --admin-listen is given"),
        new("--admin-listen", "Gateway:AdminListen", "URL", "http://127.0.0.1:5001", "the admin API, dashboard and /metrics URL, http:// or https:// (any address; not with --admin-port); off loopback every request needs Authorization: Bearer <token>, the token from $STICKYLB_ADMIN_TOKEN"),
        new("--backend-port", "Gateway:BackendPort", "PORT", "5101", "the port of spawned backend 1; backend N gets this + N - 1"),
        new("--idle-timeout", "Gateway:IdleTimeout", "SECONDS", "1200", "how long a session lives without a request, on every spawned backend"),
        new("--spawn", "Gateway:Spawn", "true|false", "true", "spawn and supervise the backends, or proxy to the configured destinations"),
        new("--backend", "Gateway:Backend", "URL", "the ReverseProxy destinations", "with --spawn false: a backend's URL, repeatable; destinations 1..N in the order given", Repeatable: true),
        new("--pin-max-idle", "Gateway:PinMaxIdle", "SECONDS", "none", "a pin unused for longer is placed afresh; the cookie then carries the pin's times under a MAC keyed by $STICKYLB_PIN_KEY, the same on every gateway"),
        new("--pin-max-life", "Gateway:PinMaxLife", "SECONDS", "none", "a pin older than this is placed afresh, used or not (the same key)"),
        new("--health-path", "Gateway:HealthPath", "PATH|none", "/healthz, or / with --spawn false", "the active health probe's path (a 2xx or 3xx answer is up); none: passive health only"),
    ];

    /// <summary>Removed options: still mapped so that start-up says so rather than ignores them.</summary>
    private static readonly Dictionary<string, string> Removed = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--forwarder"] = "Gateway:Forwarder",
    };

    /// <summary>For <c>AddCommandLine</c>: each single-valued option's name onto its configuration key.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = Options
        .Where(o => !o.Repeatable)
        .Select(o => KeyValuePair.Create(o.Name, o.Key))
        .Concat(Removed)
        .ToDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="args"/> with each repeatable option written as ASP.NET Core's indexed key
    /// (<c>--listen A --listen B</c> becomes <c>--Gateway:Listen:0 A --Gateway:Listen:1 B</c>), which the
    /// configuration binder reads as a list; <c>AddCommandLine</c> alone keeps only the last of a repeated switch.
    /// Run after <see cref="TryCheck"/>: every option here has its value.
    /// </summary>
    public static string[] ExpandRepeatable(string[] args)
    {
        var expanded = new List<string>(args.Length);
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var parts = args[i].Split('=', 2);
            if (Options.FirstOrDefault(o => o.Repeatable && string.Equals(o.Name, parts[0], StringComparison.OrdinalIgnoreCase)) is not { } option)
            {
                expanded.Add(args[i]);
                continue;
            }

            var index = counts[option.Key] = counts.GetValueOrDefault(option.Key) + 1;
            var value = parts.Length == 2 ? parts[1] : i + 1 < args.Length ? args[++i] : "";
            expanded.Add($"--{option.Key}:{(index - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            expanded.Add(value);
        }

        return [.. expanded];
    }

    /// <summary>Options that set the same thing two ways: given together on the command line, neither is meant.</summary>
    private static readonly (string Option, string Instead)[] Exclusive = [("--port", "--listen")];

    /// <summary>Whether <paramref name="args"/> ask for help (<c>--help</c>, <c>-h</c> or <c>-?</c>, wherever it stands).</summary>
    public static bool IsHelp(string[] args) => args.Any(arg => arg is "--help" or "-h" or "-?");

    /// <summary>
    /// Checks that every option is one the gateway knows and has a value; the first that is not is one
    /// line naming it (and the nearest known option).
    /// </summary>
    public static bool TryCheck(string[] args, out string error)
    {
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                error = $"Unexpected argument '{arg}': options are written --name value (see --help).";
                return false;
            }

            var name = arg.Split('=', 2)[0];
            // ASP.NET Core's configuration form, --Section:Key, passes through as it always has.
            if (!name.Contains(':', StringComparison.Ordinal) && !SwitchMappings.ContainsKey(name) && !Options.Any(o => o.Repeatable && string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                var nearest = Nearest(name);
                error = $"Unknown option '{name}'{(nearest is null ? "" : $"; did you mean '{nearest}'?")} (see --help).";
                return false;
            }

            if (!arg.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= args.Length)
                {
                    error = $"Option '{name}' needs a value (see --help).";
                    return false;
                }

                i++;
            }
        }

        foreach (var (option, instead) in Exclusive)
        {
            if (Given(args, option) && Given(args, instead))
            {
                error = $"Options '{option}' and '{instead}' cannot be given together: {option} sets the port of the default listener, which {instead} replaces (give the port in the {instead} URL).";
                return false;
            }
        }

        return true;
    }

    private static bool Given(string[] args, string option) =>
        args.Any(arg => string.Equals(arg.Split('=', 2)[0], option, StringComparison.OrdinalIgnoreCase));

    /// <summary>What <c>--help</c> prints: the commands, then every option with its values and default.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("StickyLb: a sticky-session gateway (YARP) with three backends, to kill a backend and see what happens to sessions.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  dotnet run --project src/Proxy [-- options]           the gateway, the dashboard and the backends");
        text.AppendLine("  dotnet run --project src/Proxy -- compare [--users N] [--out DIR]   every setup side by side (compare --help)");
        text.AppendLine();
        text.AppendLine("Options (also under Gateway in appsettings.json; the command line wins):");
        var width = Options.Max(o => o.Name.Length + 1 + o.Values.Length);
        foreach (var option in Options)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  {(option.Name + " " + option.Values).PadRight(width)}  {option.Description} (default: {option.Default})");
        }

        text.AppendLine();
        text.AppendLine("Any configuration key can also be set as --Section:Key value, e.g. --ReverseProxy:Clusters:backends:LoadBalancingPolicy PowerOfTwoChoices.");
        return text.ToString();
    }

    /// <summary>The known option closest to <paramref name="name"/>, if it is close enough to be a typo.</summary>
    internal static string? Nearest(string name)
    {
        var (best, distance) = Options.Select(o => (o.Name, Distance: Levenshtein(name.ToLowerInvariant(), o.Name))).MinBy(c => c.Distance);
        return distance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
