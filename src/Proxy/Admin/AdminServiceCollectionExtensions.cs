using Microsoft.AspNetCore.Routing.Matching;

namespace StickyLb.Proxy.Admin;

/// <summary>Registers what the admin API needs.</summary>
internal static class AdminServiceCollectionExtensions
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddSingleton<MatcherPolicy, ListenerMatcherPolicy>();
        services.AddProblemDetails();
        services.AddSingleton<Simulation.UserSimulation>();
        return services;
    }

    /// <summary>
    /// Problem answers for the admin listener only (bad JSON, unknown paths, exceptions). The gateway
    /// port is left alone: a backend's own answers pass through unchanged, and the proxy's
    /// per-request path carries no extra middleware.
    /// </summary>
    public static IApplicationBuilder UseAdminErrors(this IApplicationBuilder app) =>
        app.UseWhen(AdminConnection.IsAdmin, admin => admin.UseExceptionHandler().UseStatusCodePages());
}
