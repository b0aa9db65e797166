using StickyLb.Proxy.Health;
using StickyLb.Proxy.Placement;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// Session affinity through a plain, readable <c>server=&lt;destination id&gt;</c> cookie, like
/// HAProxy's <c>cookie SERVERID insert</c>. A cookie that names no destination, or is malformed,
/// repeated or oversized, counts as no affinity (and is counted): the client is simply pinned anew.
/// With pin lifetimes (<see cref="PinLifetime"/>) the cookie also carries the pin's times under a MAC: a tampered
/// one is a miss too, and an expired one is counted apart; both are placed afresh.
/// </summary>
internal sealed class ServerCookiePolicy(AffinityCounters counters, PinLifetime pins, TimeProvider timeProvider, ILogger<ServerCookiePolicy> logger) : ISessionAffinityPolicy
{
    public string Name => AffinityDefaults.PolicyName;

    public AffinityResult FindAffinitizedDestinations(
        HttpContext context,
        ClusterState cluster,
        SessionAffinityConfig config,
        IReadOnlyList<DestinationState> destinations)
    {
        var status = pins.Read(context, CookieName(config), out var id);
        if (status == ServerCookieStatus.None)
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        if (status == ServerCookieStatus.Expired)
        {
            counters.ExpiredPin();
            logger.PinExpired(PinLifetime.Known(context)!.Id);
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        if (status != ServerCookieStatus.WellFormed || !TryFindDestination(cluster, id, out var destination))
        {
            counters.Miss(status);
            logger.IgnoredCookie(status);
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        if (!DestinationAvailability.IsAvailable(destination, cluster))
        {
            // The failure policy decides: re-pin elsewhere or answer 503.
            return new AffinityResult(null, AffinityStatus.DestinationNotFound);
        }

        counters.Hit();
        // DestinationState is itself a one-element IReadOnlyList<DestinationState>: no allocation.
        return new AffinityResult(destination, AffinityStatus.OK);
    }

    public void AffinitizeResponse(HttpContext context, ClusterState cluster, SessionAffinityConfig config, DestinationState destination)
    {
        var name = CookieName(config);
        var status = pins.Read(context, name, out var id);
        if (status == ServerCookieStatus.WellFormed)
        {
            if (id.Equals(destination.DestinationId, StringComparison.OrdinalIgnoreCase))
            {
                // Already pinned here: the hot path ends without touching the response, unless the pin's last use
                // is due to be refreshed (pin lifetimes only, at most once per PinLifetime.RefreshAfter).
                if (pins.Refreshed(context) is { } refreshed)
                {
                    context.Response.Cookies.Append(name, refreshed, CreateCookieOptions(config.Cookie, context.Request.IsHttps, timeProvider.GetUtcNow()));
                }

                return;
            }

            if (RebalancedRequest.Is(context))
            {
                // Counted as rebalanced when it was moved (RebalanceMiddleware): its backend is healthy.
            }
            else if (TryFindDestination(cluster, id, out var previous))
            {
                counters.RePin();
                logger.RePinned(previous.DestinationId, destination.DestinationId);
            }
            else
            {
                counters.NewPin();
            }
        }
        else
        {
            counters.NewPin();
        }

        context.Response.Cookies.Append(name, pins.NewPin(destination.DestinationId), CreateCookieOptions(config.Cookie, context.Request.IsHttps, timeProvider.GetUtcNow()));
    }

    /// <summary>O(1) lookup of a destination by the id in a cookie, without allocating a string for it.</summary>
    internal static bool TryFindDestination(ClusterState cluster, ReadOnlySpan<char> id, out DestinationState destination)
    {
        if (cluster.Destinations.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup))
        {
            return lookup.TryGetValue(id, out destination!);
        }

        return cluster.Destinations.TryGetValue(id.ToString(), out destination!);
    }

    /// <summary>Whether the request's <c>server</c> cookie names <paramref name="destination"/> (the cluster's affinity is on).</summary>
    internal static bool IsPinnedTo(HttpContext context, ClusterState cluster, DestinationState destination) =>
        cluster.Model.Config.SessionAffinity is { Enabled: true } affinity
        && PinLifetime.ReadKnown(context, CookieName(affinity), out var id) == ServerCookieStatus.WellFormed
        && id.Equals(destination.DestinationId, StringComparison.OrdinalIgnoreCase);

    internal static string CookieName(SessionAffinityConfig config) =>
        string.IsNullOrEmpty(config.AffinityKeyName) ? AffinityDefaults.CookieName : config.AffinityKeyName;

    internal static CookieOptions CreateCookieOptions(SessionAffinityCookieConfig? config, bool isHttps, DateTimeOffset now)
    {
        var options = new CookieOptions
        {
            Path = config?.Path ?? "/",
            Domain = config?.Domain,
            HttpOnly = config?.HttpOnly ?? true,
            SameSite = config?.SameSite ?? SameSiteMode.Lax,
            IsEssential = config?.IsEssential ?? true,
            MaxAge = config?.MaxAge,
        };
        options.Secure = (config?.SecurePolicy ?? CookieSecurePolicy.SameAsRequest) switch
        {
            CookieSecurePolicy.Always => true,
            CookieSecurePolicy.None => false,
            CookieSecurePolicy.SameAsRequest => isHttps,
            var other => throw new NotSupportedException($"Unknown cookie secure policy {other}."),
        };
        if (config?.Expiration is { } expiration)
        {
            options.Expires = now.Add(expiration);
        }

        return options;
    }
}
