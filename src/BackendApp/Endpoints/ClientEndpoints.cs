using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;

namespace StickyLb.BackendApp.Endpoints;

/// <summary>
/// <c>GET /client</c>: who the client is as this backend sees it, so that what the gateway tells a backend
/// (<c>X-Forwarded-*</c>) and what the backend believes of it can be checked from outside.
/// </summary>
internal static class ClientEndpoints
{
    /// <summary>The endpoint's path; like <c>/healthz</c> it bypasses the session middleware.</summary>
    public const string Path = "/client";

    public static IEndpointRouteBuilder MapClientEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, GetClient);
        return app;
    }

    public static Ok<ClientResponse> GetClient(HttpContext context, IOptions<BackendOptions> options)
    {
        var address = context.Connection.RemoteIpAddress;
        var remoteIp = address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
        return TypedResults.Ok(new ClientResponse(options.Value.Id, remoteIp?.ToString(), context.Request.Scheme, context.Request.Host.Value ?? ""));
    }
}
