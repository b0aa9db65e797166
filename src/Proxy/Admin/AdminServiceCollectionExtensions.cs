using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StickyLb.Proxy.Metrics;

namespace StickyLb.Proxy.Admin;

/// <summary>Registers what the admin API needs.</summary>
internal static class AdminServiceCollectionExtensions
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddSingleton<MatcherPolicy, ListenerMatcherPolicy>();
        services.AddProblemDetails();
        services.TryAddSingleton<BackendsView>();
        services.AddSingleton<Simulation.UserSimulation>();
        services.AddGatewayMetrics();
        return services;
    }
}
