using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Store;

namespace StickyLb.Proxy.Gateway;

/// <summary>The one line the gateway prints when it is ready; tests and scripts wait for its prefix.</summary>
internal static class ReadyLine
{
    /// <summary>What the line starts with.</summary>
    public const string Prefix = "StickyLb ready:";

    public static string Format(
        GatewayOptions options, GatewayListeners listeners, BackendSupervisor supervisor, StoreSupervisor store, DestinationHealthSignal health)
    {
        var backends = supervisor.IsSupervising
            ? supervisor.Backends.Select(b => $"{b.Id}={b.Address.ToString().TrimEnd('/')}")
            : health.Destinations().Select(d => $"{d.DestinationId}={d.Model.Config.Address.TrimEnd('/')}");
        return $"{Prefix} gateway {string.Join(' ', listeners.GatewayUrls)}, dashboard {Trim(listeners.AdminUrl)}, "
            + $"store {options.Store.Name()}{(store.Endpoint is null ? "" : $" ({store.Kind} {store.Endpoint}{(store.DataDirectory is null ? "" : $", append-only file in {store.DataDirectory}")})")}"
            + $"{(options.Store == StoreMode.Replicated ? $" ({options.Replication.Name()})" : "")}, failover {options.Failover}, "
            + $"{(options.IsAffinityOn ? "" : "affinity off, ")}backends {string.Join(' ', backends)}{(supervisor.IsSupervising ? "" : " (not spawned)")}";
    }

    private static string Trim(Uri url) => url.ToString().TrimEnd('/');
}
