namespace StickyLb.Proxy.Health;

/// <summary>How one active probe of a backend ended, in words for the log and the 503 body.</summary>
/// <param name="Text">What happened, e.g. <c>GET /healthz answered 404</c> or <c>GET / failed: connection refused</c>.</param>
/// <param name="Up">Whether the answer was 2xx or 3xx.</param>
/// <param name="Status">The status the backend answered; null when it did not answer.</param>
internal sealed record ProbeOutcome(string Text, bool Up, int? Status)
{
    /// <summary>A 4xx answer: the backend runs, but not at that path; another <c>--health-path</c> is the fix.</summary>
    public bool WrongPath => Status is >= 400 and < 500;

    /// <summary>What to do about it, for a probe whose path the app does not answer.</summary>
    public const string WrongPathHint = "give --health-path a path your app answers with 2xx or 3xx (or none)";
}
