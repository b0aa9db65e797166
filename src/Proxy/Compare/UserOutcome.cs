namespace StickyLb.Proxy.Compare;

/// <summary>What happened to a simulated user's session when backend 2 died.</summary>
internal enum UserOutcome
{
    /// <summary>Same user, visits continue, cart intact.</summary>
    Kept,

    /// <summary>Answered, but logged out or with an empty cart: the session is gone.</summary>
    Lost,

    /// <summary>A 5xx or no response.</summary>
    Failed,
}
