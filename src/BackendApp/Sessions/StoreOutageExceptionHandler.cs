using System.Security.Cryptography;
using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace StickyLb.BackendApp.Sessions;

/// <summary>
/// Redis and replicated mode (it lives with the sessions because both use it): a store failure that escapes the session filter becomes the same 503
/// problem as a session the store could not load. The usual one is Data Protection's: while the store
/// is down (or, replicated, before this backend has joined the others) it cannot read the key ring and
/// throws <see cref="CryptographicException"/>, which would be a 500. It reads the key ring again on a
/// later request, so nothing needs a restart.
/// </summary>
internal sealed partial class StoreOutageExceptionHandler(ILogger<StoreOutageExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Whether <paramref name="exception"/> means the store could not be reached or did not answer.</summary>
    public static bool IsStoreOutage(Exception exception) =>
        exception is CryptographicException or RedisConnectionException or RedisTimeoutException or StickyLb.BackendApp.Replicated.ReplicationException;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsStoreOutage(exception))
        {
            return false;
        }

        StoreFailed(logger, exception.Message);
        await SessionStoreFilter.StoreUnavailable().ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(4202, LogLevel.Warning, "A request failed because the session store cannot be reached ({Reason}); answered 503.")]
    private static partial void StoreFailed(ILogger logger, string reason);
}
