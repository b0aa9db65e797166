using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StickyLb.Proxy.Live;

/// <summary>Registers the live-connection counters and their proxy pipeline step.</summary>
internal static class LiveConnectionsServiceCollectionExtensions
{
    public static IServiceCollection AddLiveConnections(this IServiceCollection services)
    {
        services.TryAddSingleton<LiveConnectionCounters>();
        return services;
    }

    /// <summary>
    /// Counts WebSockets and server-sent-event streams per backend (<see cref="LiveConnectionMiddleware"/>).
    /// Placed outside the in-flight failover, so that a request moved to another backend is counted once,
    /// on the backend that answered it.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseLiveConnectionCounting(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<LiveConnectionMiddleware>();
        return proxy;
    }
}
