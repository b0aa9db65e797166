namespace StickyLb.BackendApp.Endpoints;

/// <summary>What <c>GET /whoami</c>, <c>POST /login</c> and <c>POST /logout</c> answer.</summary>
/// <param name="Backend">The backend that answered.</param>
/// <param name="SessionId">The session's id (<c>ISession.Id</c>).</param>
/// <param name="User">The logged-in user, or null.</param>
/// <param name="Visits">How many times <c>/whoami</c> was called in this session.</param>
/// <param name="SessionBackend">The backend that created the session.</param>
/// <param name="Store">Where sessions live: <c>memory</c> or <c>redis</c>.</param>
internal sealed record WhoAmIResponse(string Backend, string SessionId, string? User, int Visits, string? SessionBackend, string Store);
