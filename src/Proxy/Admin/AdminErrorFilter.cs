using Microsoft.AspNetCore.Http.HttpResults;

namespace StickyLb.Proxy.Admin;

/// <summary>An admin endpoint that fails unexpectedly answers a 500 problem and logs the exception.</summary>
internal sealed partial class AdminErrorFilter(ILogger<AdminErrorFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Failed(logger, context.HttpContext.Request.Path, ex);
            return Problem();
        }
    }

    private static ProblemHttpResult Problem() => TypedResults.Problem(
        statusCode: StatusCodes.Status500InternalServerError, title: "Admin API error", detail: "The request failed; see the gateway's log.");

    [LoggerMessage(3001, LogLevel.Error, "Admin request {Path} failed.")]
    private static partial void Failed(ILogger logger, PathString path, Exception exception);
}
