using System.Globalization;
using Microsoft.Net.Http.Headers;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The answer of <see cref="FailoverMode.Return503Error"/> to a client pinned to a backend that is
/// down: 503 problem+json naming the backend, with <c>Retry-After</c>. The same whether the backend
/// was known to be down before the request or died with the request in flight.
/// </summary>
internal static class BackendUnavailableResponse
{
    public static Task WriteAsync(HttpContext context, string backend)
    {
        context.Response.Headers[HeaderNames.RetryAfter] = AffinityDefaults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Backend unavailable",
            detail: $"Backend {backend}, which holds this session, is down. The failover policy is Return503Error: retry after it is back.",
            extensions: new Dictionary<string, object?> { ["backend"] = backend })
            .ExecuteAsync(context);
    }
}
