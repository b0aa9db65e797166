namespace StickyLb.BackendApp.Sessions;

/// <summary>How many sessions this backend holds, as <c>/healthz</c> and the dashboard report it.</summary>
internal interface ISessionCount
{
    ValueTask<int> CountAsync(CancellationToken cancellationToken);
}
