using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Shared;

namespace StickyLb.Proxy.Replicated;

/// <summary>
/// Replicated mode: the port each spawned backend's cluster transport uses (chosen free once, on
/// 127.0.0.1, and kept across restarts), and the peers a starting backend is told to join. The
/// backends form the cluster among themselves; this is all the gateway contributes.
/// </summary>
internal sealed class ClusterPeers
{
    /// <summary>The environment variables that hand a backend its replicated-mode settings (the <c>Replicated</c> section).</summary>
    public static readonly string PortVariable = ReplicatedConfigurationKeys.EnvironmentVariable(ReplicatedConfigurationKeys.Port);

    /// <inheritdoc cref="PortVariable"/>
    public static readonly string SeedsVariable = ReplicatedConfigurationKeys.EnvironmentVariable(ReplicatedConfigurationKeys.Seeds);

    /// <inheritdoc cref="PortVariable"/>
    public static readonly string ReplicationVariable = ReplicatedConfigurationKeys.EnvironmentVariable(ReplicatedConfigurationKeys.Replication);

    /// <summary>
    /// The runtime's switch for dynamic PGO. BackendApp turns it off for every mode (BackendApp.csproj: a short-lived
    /// backend spends less on JIT work); a replicated backend runs Akka.NET's actors, remoting and replicated data on
    /// every request, where it pays: in bench/stores-variants.py a change cost 14% and a read-only hit 35% less backend
    /// CPU with it (docs/performance.md, issue 30). So the gateway turns it on for the replicated backends it starts,
    /// unless the user's environment already says either way.
    /// </summary>
    public const string DynamicPgoVariable = "DOTNET_TieredPGO";

    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);
    private readonly ReplicationMode _replication;

    public ClusterPeers(IOptions<GatewayOptions> options)
    {
        var gateway = options.Value;
        _replication = gateway.Replication;
        if (gateway.Store == StoreMode.Replicated && gateway.Spawn)
        {
            for (var i = 1; i <= gateway.Backends; i++)
            {
                _ports[i.ToString(CultureInfo.InvariantCulture)] = FreePorts.Next();
            }
        }
    }

    /// <summary>Backend <paramref name="id"/>'s cluster port, or null outside replicated mode.</summary>
    public int? PortOf(string id) => _ports.TryGetValue(id, out var port) ? port : null;

    /// <summary>
    /// Sets the environment of backend <paramref name="id"/> that is about to start. It joins the
    /// backends that are running; when none is, it starts the cluster itself. A backend never lists
    /// itself beside running peers, so a restarted one can only join them, never found a second
    /// cluster of its own when they are slow to answer.
    /// </summary>
    public void HandDownTo(ProcessStartInfo startInfo, string id, IEnumerable<string> runningPeers)
    {
        startInfo.Environment.Remove(PortVariable);
        startInfo.Environment.Remove(SeedsVariable);
        startInfo.Environment.Remove(ReplicationVariable);
        if (PortOf(id) is not { } port)
        {
            return;
        }

        var peers = runningPeers.Select(PortOf).OfType<int>().ToList();
        var seeds = peers.Count > 0 ? peers : [port];
        startInfo.Environment[PortVariable] = port.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment[SeedsVariable] = string.Join(',', seeds.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));
        startInfo.Environment[ReplicationVariable] = _replication.Name();
        startInfo.Environment.TryAdd(DynamicPgoVariable, "1");
    }
}
