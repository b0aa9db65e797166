namespace StickyLb.Proxy.Affinity;

/// <summary>Names and limits of StickyLb's session affinity, in one place.</summary>
internal static class AffinityDefaults
{
    /// <summary>The affinity policy name to put in <c>SessionAffinity:Policy</c>.</summary>
    public const string PolicyName = "ServerCookie";

    /// <summary>
    /// The failure policy name to put in <c>SessionAffinity:FailurePolicy</c>: it follows
    /// <c>Gateway:Failover</c> and <c>PUT /api/settings</c>.
    /// </summary>
    public const string FailurePolicyName = "GatewayFailover";

    /// <summary>The cookie name when <c>SessionAffinity:AffinityKeyName</c> is unset.</summary>
    public const string CookieName = "server";

    /// <summary>The longest cookie value taken as a destination id; longer ones are counted as oversized.</summary>
    public const int MaxCookieValueLength = 64;

    /// <summary>The <c>Retry-After</c> seconds of a 503 for a pinned backend that is down.</summary>
    public const int RetryAfterSeconds = 2;
}
