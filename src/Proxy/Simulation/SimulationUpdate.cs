namespace StickyLb.Proxy.Simulation;

/// <summary>The body of <c>PUT /api/simulation</c>.</summary>
/// <param name="Users">How many users to simulate (0 stops them).</param>
/// <param name="VisitSeconds">
/// How long a visit lasts before the user logs out and leaves and a new visitor takes its place
/// (each visit 0.5-1.5 times this); 0 or absent: users never leave. With a draining backend, its
/// visitors leave and the new ones are pinned elsewhere, so it empties.
/// </param>
/// <param name="ActiveBackend">
/// The seeds' skew: only the users of this backend (without affinity, the same share of the users) keep
/// their pace, the others mostly idle. Absent or null: every user is active.
/// </param>
internal sealed record SimulationUpdate(int? Users, int? VisitSeconds = null, string? ActiveBackend = null);
