using Microsoft.Extensions.Options;

namespace StickyLb.BackendApp.Hosting;

/// <summary>Adds <c>X-Backend: &lt;id&gt;</c> to every response, errors included.</summary>
internal sealed class BackendHeaderMiddleware(RequestDelegate next, IOptions<BackendOptions> options)
{
    /// <summary>The response header naming the backend that answered.</summary>
    public const string HeaderName = "X-Backend";

    private readonly string _id = options.Value.Id;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.Headers[HeaderName] = _id;
        return next(context);
    }
}
