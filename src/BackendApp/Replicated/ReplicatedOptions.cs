using System.ComponentModel.DataAnnotations;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Settings of replicated mode, bound from the <c>Replicated</c> section. The gateway hands them to
/// the backends it spawns in the environment (<c>Replicated__Port</c>, <c>Replicated__Seeds</c>,
/// <c>Replicated__Replication</c>): the keys the gateway sets are <see cref="ReplicatedConfigurationKeys"/>.
/// </summary>
internal sealed class ReplicatedOptions : IValidatableObject
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string Section = ReplicatedConfigurationKeys.Section;

    /// <summary>The address the cluster transport binds to and advertises. Default 127.0.0.1.</summary>
    [Required]
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The cluster transport's port; 0 picks a free one (a node no one needs to find). Default 0.</summary>
    [Range(0, 65535)]
    [ConfigurationKeyName(ReplicatedConfigurationKeys.Port)]
    public int Port { get; set; }

    /// <summary>
    /// The peers to join, as comma-separated <c>host:port</c> pairs. A node that lists itself (or no
    /// one) may start a new cluster when none of the others answers; a node that lists only others
    /// always joins them. Default none: this node starts a cluster of its own.
    /// </summary>
    [ConfigurationKeyName(ReplicatedConfigurationKeys.Seeds)]
    public string? Seeds { get; set; }

    /// <summary><c>sync</c> (default) or <c>async</c>: see <see cref="ReplicationModeNames"/>.</summary>
    [ConfigurationKeyName(ReplicatedConfigurationKeys.Replication)]
    [RegularExpression(ReplicationModeNames.Pattern, ErrorMessage = "Replicated:Replication must be 'sync' or 'async'.")]
    public string Replication { get; set; } = ReplicationModeNames.Sync;

    /// <summary>
    /// How many replicated dictionaries the sessions are spread over. Gossip repairs one whole shard at
    /// a time, so more shards mean fewer bytes per change, and more (small) idle gossip. Default 1000.
    /// </summary>
    [Range(1, 10_000)]
    public int Shards { get; set; } = 1000;

    /// <summary>
    /// How long a majority write or read may wait for the other nodes. Default 1.5 s (within the 2 s a request
    /// waits). A fifth of it is how long a write waits for a node that has just died before it asks another
    /// (only until <see cref="DeadPeerWatcher"/> has taken the dead node out).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// Whether a member whose process has died is marked down as soon as its cluster port refuses
    /// connections (<see cref="DeadPeerWatcher"/>), rather than by Akka's failure detector and downing about
    /// 10 s later. Default true; false only to measure the difference (bench/replicated-kill.py).
    /// </summary>
    public bool DownDeadPeers { get; set; } = true;

    /// <summary>
    /// More Akka.NET settings (HOCON) for this backend's actor system, over those of <c>cluster.hocon</c>: for
    /// trying Akka's own settings without a rebuild (bench/stores-variants.py). Default none.
    /// </summary>
    public string? Hocon { get; set; }

    /// <summary>Whether writes and reads wait for a majority of the nodes.</summary>
    public bool IsSync => Replication == ReplicationModeNames.Sync;

    /// <summary>The seed nodes as <c>host:port</c> pairs, in order.</summary>
    public IReadOnlyList<string> SeedList =>
        (Seeds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var seed in SeedList)
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(seed.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                yield return new ValidationResult($"Replicated:Seeds entry '{seed}' is not host:port.", [nameof(Seeds)]);
            }
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Replicated:Timeout must be positive.", [nameof(Timeout)]);
        }
    }
}
