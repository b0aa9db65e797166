namespace StickyLb.Proxy.Simulation;

/// <summary>What <c>GET /api/simulation</c> answers.</summary>
/// <param name="Users">Simulated users running (0: stopped).</param>
/// <param name="LoggedIn">Users whose last answer showed them logged in.</param>
/// <param name="UsersPerBackend">Where the users' sessions are now, by backend id.</param>
/// <param name="Requests">Requests sent since the simulation started.</param>
/// <param name="Failed">Requests that got a 5xx or no answer.</param>
/// <param name="LostSessions">Times a logged-in user found itself logged out (it then logs in again).</param>
/// <param name="VisitSeconds">How long a visit lasts before its user leaves (0: users never leave).</param>
/// <param name="VisitsEnded">Users who logged out and left, each followed by a new visitor.</param>
/// <param name="ActiveBackend">The backend whose users are the active ones (the others mostly idle), or null: everyone is.</param>
internal sealed record SimulationStatus(
    int Users, int LoggedIn, IReadOnlyDictionary<string, int> UsersPerBackend, long Requests, long Failed, long LostSessions, int VisitSeconds, long VisitsEnded,
    string? ActiveBackend);
