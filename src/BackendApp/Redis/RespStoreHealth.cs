using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Redis;

/// <summary>Redis mode: the store is reachable when it answers <c>PING</c> within half a second.</summary>
internal sealed class RespStoreHealth(RespConnection store) : IStoreHealth
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return (await store.ExecuteAsync(RespProtocol.Command("PING"), timeout.Token)).Type == RespType.SimpleString;
        }
        catch (Exception ex) when (ex is RespConnectionException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
