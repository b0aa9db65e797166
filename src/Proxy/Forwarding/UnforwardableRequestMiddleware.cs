using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// A request that HttpClient refused to send, because of the request itself (a header value that is not
/// ASCII, say), is the client's mistake: it gets 400 problem+json saying why, not YARP's 502, and no
/// backend is blamed (<see cref="BackendFaults"/>). Kestrel accepts such headers from clients; HttpClient
/// will not write them, rather than squeeze them into other characters the backend would misread.
/// </summary>
internal sealed class UnforwardableRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var forwarding = next(context);
        return forwarding.IsCompletedSuccessfully && context.Features.Get<IForwarderErrorFeature>() is null
            ? Task.CompletedTask
            : AfterFailureAsync(context, forwarding);
    }

    private static async Task AfterFailureAsync(HttpContext context, Task forwarding)
    {
        await forwarding;
        if (context.Features.Get<IForwarderErrorFeature>() is { Error: ForwarderError.Request, Exception: HttpRequestException refused } error
            && BackendFaults.Classify(error) == BackendFault.Client
            && !context.Response.HasStarted
            && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.Clear();
            await TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Request cannot be forwarded",
                detail: refused.Message)
                .ExecuteAsync(context);
        }
    }
}
