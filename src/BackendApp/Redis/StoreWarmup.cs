using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// Before the backend answers its first request: loads (or creates) the shared key ring, so that
/// every backend started after the first one finds its key and uses it instead of making its own,
/// and reads a session entry once, so that a user's first request does not pay for the first use of
/// the client. A store that is down does not stop the backend: it answers 503 until the store is
/// back, and the key ring is loaded on a later request.
/// </summary>
internal sealed partial class StoreWarmup(IDataProtectionProvider provider, IDistributedCache cache, ILogger<StoreWarmup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            provider.CreateProtector(nameof(StoreWarmup)).Protect([1]);
            await cache.GetAsync(nameof(StoreWarmup), cancellationToken);
        }
        catch (Exception ex) when (StoreOutageExceptionHandler.IsStoreOutage(ex))
        {
            StoreUnreachable(logger, ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(4201, LogLevel.Warning, "The session store cannot be reached at start-up ({Reason}); session requests answer 503 until it is back.")]
    private static partial void StoreUnreachable(ILogger logger, string reason);
}
