using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Drain;

/// <summary>Registers drain (which backends take no new client) and its step in the proxy pipeline.</summary>
internal static class DrainServiceCollectionExtensions
{
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.TryAddSingleton<DrainRegistry>();
        return services;
    }

    /// <summary>The drain step (<see cref="DrainMiddleware"/>), between session affinity and load balancing.</summary>
    public static IReverseProxyApplicationBuilder UseDrain(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<DrainMiddleware>();
        return proxy;
    }
}
