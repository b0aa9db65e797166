namespace StickyLb.BackendApp.Sessions;

/// <summary>How many sessions this backend holds, as <c>/healthz</c> and the dashboard report it.</summary>
internal interface ISessionCount
{
    int Count { get; }
}
