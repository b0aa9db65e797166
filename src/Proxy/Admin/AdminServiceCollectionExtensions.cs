using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Admin;

/// <summary>Registers what the admin API needs of its own: the listener rule and problem details.</summary>
internal static class AdminServiceCollectionExtensions
{
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        services.AddProblemDetails();
        services.TryAddSingleton<BackendsView>();
        return services;
    }
}
