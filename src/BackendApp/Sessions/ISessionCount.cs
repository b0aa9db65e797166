namespace StickyLb.BackendApp.Sessions;

/// <summary>How many sessions this backend holds, as <c>/healthz</c> and the dashboard report it.</summary>
public interface ISessionCount
{
    int Count { get; }
}
