namespace StickyLb.BackendApp.Sessions;

/// <summary>Memory mode: the store is this process, reachable as long as it runs.</summary>
internal sealed class InProcessStoreHealth : IStoreHealth
{
    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}
