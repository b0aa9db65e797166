using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Redis;

/// <summary>Redis mode: the store is reachable when it answers <c>PING</c> within half a second.</summary>
internal sealed class RespStoreHealth(RespConnection store) : IStoreHealth
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) => store.AnswersPingAsync(Timeout, cancellationToken);
}
