namespace StickyLb.Proxy.Gateway;

/// <summary>Maps the documented command-line options onto the <c>Gateway</c> configuration section.</summary>
internal static class GatewayCommandLine
{
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--store"] = "Gateway:Store",
        ["--redis"] = "Gateway:Redis",
        ["--failover"] = "Gateway:Failover",
        ["--backends"] = "Gateway:Backends",
        ["--port"] = "Gateway:Port",
        ["--admin-port"] = "Gateway:AdminPort",
        ["--backend-port"] = "Gateway:BackendPort",
        ["--spawn"] = "Gateway:Spawn",
        ["--store-port"] = "Gateway:StorePort",
        ["--replication"] = "Gateway:Replication",
        ["--idle-timeout"] = "Gateway:IdleTimeout",
        ["--affinity"] = "Gateway:Affinity",
        // Removed: kept mapped so that GatewayOptionsReader can say so rather than ignore it.
        ["--forwarder"] = "Gateway:Forwarder",
    };
}
