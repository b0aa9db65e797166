using System.Collections.Frozen;
using StickyLb.Proxy.Affinity;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Drain;

/// <summary>
/// Which backends are draining: they keep serving the clients pinned to them while they are healthy,
/// and no new client is pinned to them (new sessions and redistributed clients go elsewhere), as
/// HAProxy's <c>set server state drain</c> does. A backend drains when an operator says so through the
/// admin API (this gateway's own state, so it works with <c>--spawn false</c>) or when its destination's
/// metadata in the configuration says <c>"Drain": "true"</c> (shared by every gateway that reads that
/// configuration, and picked up when it is reloaded).
/// </summary>
internal sealed class DrainRegistry(ILogger<DrainRegistry> logger)
{
    /// <summary>The destination metadata key that drains a backend from the configuration.</summary>
    public const string MetadataKey = "Drain";

    private readonly Lock _gate = new();
    private FrozenSet<string> _byOperator = FrozenSet<string>.Empty;
    private FrozenSet<string> _byConfiguration = FrozenSet<string>.Empty;

    // Read on every proxied request: while nothing drains, the pipeline step costs one volatile read.
    private volatile bool _any;

    /// <summary>Whether any backend drains.</summary>
    public bool Any => _any;

    public bool IsDraining(string id) => _any && (_byOperator.Contains(id) || _byConfiguration.Contains(id));

    /// <summary>Whether the configuration drains <paramref name="id"/> (the admin API cannot end that).</summary>
    public bool IsDrainingByConfiguration(string id) => _byConfiguration.Contains(id);

    /// <summary>Starts draining <paramref name="id"/>; false if the operator already drains it.</summary>
    public bool Drain(string id)
    {
        lock (_gate)
        {
            if (_byOperator.Contains(id))
            {
                return false;
            }

            _byOperator = _byOperator.Append(id).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
            Publish();
        }

        logger.Draining(id);
        return true;
    }

    /// <summary>Ends the operator's drain of <paramref name="id"/>; false if the operator did not drain it.</summary>
    public bool Ready(string id)
    {
        lock (_gate)
        {
            if (!_byOperator.Contains(id))
            {
                return false;
            }

            _byOperator = _byOperator.Where(d => !string.Equals(d, id, StringComparison.OrdinalIgnoreCase)).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
            Publish();
        }

        logger.Ready(id);
        return true;
    }

    /// <summary>The backends the configuration drains, replaced at every (re)load.</summary>
    public void SetConfigured(IReadOnlyCollection<string> ids)
    {
        FrozenSet<string> before;
        lock (_gate)
        {
            before = _byConfiguration;
            _byConfiguration = ids.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
            Publish();
        }

        foreach (var id in ids.Where(i => !before.Contains(i)))
        {
            logger.DrainingByConfiguration(id);
        }
    }

    /// <summary>
    /// The destinations a request may go to: a client pinned to a draining backend keeps it (the affinity
    /// step left only that one); anyone else gets the others. The list itself when nothing in it drains.
    /// </summary>
    public IReadOnlyList<DestinationState> ForRequest(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> available)
    {
        var draining = 0;
        for (var i = 0; i < available.Count; i++)
        {
            draining += IsDraining(available[i].DestinationId) ? 1 : 0;
        }

        if (draining == 0 || available.Count == 1 && ServerCookiePolicy.IsPinnedTo(context, cluster, available[0]))
        {
            return available;
        }

        return [.. available.Where(d => !IsDraining(d.DestinationId))];
    }

    private void Publish() => _any = _byOperator.Count > 0 || _byConfiguration.Count > 0;
}
