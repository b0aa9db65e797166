using StickyLb.Proxy.Health;

namespace StickyLb.Proxy.Backends;

/// <summary>The backends a gateway knows, and how their state reads, for the admin API and the metrics alike.</summary>
internal static class KnownBackends
{
    /// <summary>The processes it spawned or, with <c>--spawn false</c>, the destinations of its configuration.</summary>
    public static IEnumerable<(string Id, Uri Address)> List(BackendSupervisor supervisor, DestinationHealthSignal health) =>
        supervisor.IsSupervising
            ? supervisor.Backends.Select(b => (b.Id, b.Address))
            : health.Destinations().Select(d => (d.DestinationId, new Uri(d.Model.Config.Address)));

    /// <summary><c>stopped</c>, <c>draining</c> or <c>running</c>, as <c>/api/backends</c> and <c>/metrics</c> say it.</summary>
    public static string StateText(bool running, bool draining) => !running ? "stopped" : draining ? "draining" : "running";
}
