using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Store;

/// <summary>Registers redis mode's store: the supervisor that starts the embedded store or checks an external one.</summary>
internal static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// The store's supervisor, as a hosted service. Hosted services start in the order they are added: call this
    /// before <c>AddBackendSupervisor</c>, since the backends connect to the store as they start.
    /// </summary>
    public static IServiceCollection AddSessionStore(this IServiceCollection services)
    {
        services.TryAddSingleton<StoreSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<StoreSupervisor>());
        return services;
    }
}
