using StackExchange.Redis;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Redis;

/// <summary>Redis mode: the store is reachable when it answers <c>PING</c> within half a second.</summary>
internal sealed class RedisStoreHealth(IConnectionMultiplexer store) : IStoreHealth
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The client checks its own timeouts about once a second: the probe does not wait for that.
            await store.GetDatabase().PingAsync().WaitAsync(Timeout, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }
}
