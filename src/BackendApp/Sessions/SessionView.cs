using System.Text.Json;

namespace StickyLb.BackendApp.Sessions;

/// <summary>Typed access to the values StickyLb keeps in a session.</summary>
internal readonly struct SessionView(ISession session)
{
    private const string UserKey = "user";
    private const string VisitsKey = "visits";
    private const string SessionBackendKey = "sessionBackend";
    private const string CartKey = "cart";

    public string Id => session.Id;

    public string? User
    {
        get => session.GetString(UserKey);
        set
        {
            if (value is null)
            {
                session.Remove(UserKey);
            }
            else
            {
                session.SetString(UserKey, value);
            }
        }
    }

    public int Visits
    {
        get => session.GetInt32(VisitsKey) ?? 0;
        set => session.SetInt32(VisitsKey, value);
    }

    /// <summary>The backend that created this session, or null before <see cref="EnsureCreatedBy"/>.</summary>
    public string? SessionBackend => session.GetString(SessionBackendKey);

    /// <summary>Records <paramref name="backendId"/> as the session's creator if it has none yet.</summary>
    public void EnsureCreatedBy(string backendId)
    {
        if (session.GetString(SessionBackendKey) is null)
        {
            session.SetString(SessionBackendKey, backendId);
        }
    }

    public IReadOnlyList<string> Cart
    {
        get
        {
            var bytes = session.Get(CartKey);
            return bytes is null ? [] : JsonSerializer.Deserialize(bytes, SessionJsonContext.Default.ListString) ?? [];
        }
        set => session.Set(CartKey, JsonSerializer.SerializeToUtf8Bytes(value, SessionJsonContext.Default.IReadOnlyListString));
    }
}
