using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// What runs for every proxied request beyond YARP's own steps, trimmed by measurement
/// (bench/results.md): the gateway has no authentication, so nothing per request may pay for it.
/// </summary>
internal static class GatewayPipelineExtensions
{
    /// <summary>The route settings that need middleware the gateway does not run.</summary>
    public static readonly string[] UnsupportedRouteSettings = ["AuthorizationPolicy", "CorsPolicy"];

    /// <summary>
    /// YARP registers authorization services so that a route may name a policy, and WebApplication
    /// then adds the authorization middleware in front of every request when it finds them. That
    /// middleware allocated an async state machine and the request's Items dictionary per request
    /// and cost about 2 µs of CPU. Without the handler provider WebApplication leaves it out, so routes
    /// that name a policy are refused at start-up (<see cref="GatewayOptionsValidator"/>) rather than
    /// served unchecked.
    /// </summary>
    public static IServiceCollection WithoutAuthorizationMiddleware(this IServiceCollection services)
    {
        services.RemoveAll<IAuthorizationHandlerProvider>();
        return services;
    }
}
