namespace StickyLb.BackendApp.Sessions;

/// <summary>Whether the session store can serve right now, for <c>/healthz</c>.</summary>
internal interface IStoreHealth
{
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);
}
