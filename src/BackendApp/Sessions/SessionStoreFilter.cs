using Microsoft.AspNetCore.Http.HttpResults;

namespace StickyLb.BackendApp.Sessions;

/// <summary>
/// Loads the session before an endpoint runs and commits it after, so a failing store becomes a
/// 503 problem instead of what the session middleware does on its own (an empty session and a
/// silently dropped write).
/// </summary>
internal sealed partial class SessionStoreFilter(SessionTracker tracker, ILogger<SessionStoreFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var httpContext = context.HttpContext;
        var session = httpContext.Session;
        var aborted = httpContext.RequestAborted;

        try
        {
            await session.LoadAsync(aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            LogStoreFailure(logger, "load", ex);
            return StoreUnavailable();
        }

        var result = await next(context);

        try
        {
            await session.CommitAsync(aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            LogStoreFailure(logger, "commit", ex);
            return StoreUnavailable();
        }

        // A request that stored nothing (a rejected login, say) did not establish a session.
        if (session.Keys.Any())
        {
            tracker.Touch(session.Id);
        }

        return result;
    }

    /// <summary>The answer to a request the session store could not serve.</summary>
    internal static ProblemHttpResult StoreUnavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Session store unavailable",
        detail: "The session store did not answer in time; nothing was changed. Try again shortly.");

    /// <summary>
    /// An outage the store's client reports (it did not answer, no connection) is a state, said in one line
    /// with the client's reason; anything else is logged with its exception, as a fault to look into.
    /// </summary>
    private static void LogStoreFailure(ILogger logger, string operation, Exception exception)
    {
        if (exception is TimeoutException or StackExchange.Redis.RedisConnectionException)
        {
            StoreUnreachable(logger, operation, Reason(exception.Message));
        }
        else
        {
            StoreFailed(logger, operation, exception);
        }
    }

    /// <summary>The client's message up to its diagnostics (queue lengths, thread pool figures): the part a user reads.</summary>
    internal static string Reason(string message)
    {
        var end = message.IndexOfAny(['(', ';']);
        return (end > 0 ? message[..end] : message).TrimEnd(' ', ',', ':', '.');
    }

    [LoggerMessage(4101, LogLevel.Warning, "The session store failed to {Operation} a session; answered 503.")]
    private static partial void StoreFailed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(4102, LogLevel.Warning, "The session store did not {Operation} a session ({Reason}); answered 503.")]
    private static partial void StoreUnreachable(ILogger logger, string operation, string reason);
}
