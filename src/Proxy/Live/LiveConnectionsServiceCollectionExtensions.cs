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
    /// Counts WebSockets and server-sent-event streams per backend (<see cref="LiveConnectionMiddleware"/>), on
    /// the backend that answered: a request the in-flight failover sends again had no answer from the first.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseLiveConnectionCounting(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<LiveConnectionMiddleware>();
        return proxy;
    }
}
