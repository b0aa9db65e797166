namespace StickyLb.Proxy.Health;

/// <summary>How a proxied request ended, for the dashboard's chart.</summary>
internal enum TrafficOutcome
{
    /// <summary>The backend answered below 500.</summary>
    Ok,

    /// <summary>The backend answered 5xx, or could not be reached.</summary>
    Failed,

    /// <summary>The gateway answered 503 itself: the client's backend is down and the policy is Return503Error.</summary>
    Rejected,
}
