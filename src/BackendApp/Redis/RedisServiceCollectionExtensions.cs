using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// Registers the shared store of redis mode: one StackExchange.Redis multiplexer for the process,
/// Microsoft's <see cref="RedisCache"/> for sessions and the Data Protection key ring in the same store.
/// </summary>
internal static class RedisServiceCollectionExtensions
{
    /// <summary>The application name all backends share in redis mode, so that each reads the others' cookies.</summary>
    public const string SharedApplicationName = "StickyLb";

    /// <summary>The key ring's key after the prefix: the package's default name, under StickyLb's prefix.</summary>
    public const string KeyRingKey = "DataProtection-Keys";

    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services)
    {
        // abortConnect=false (StoreConfiguration): this returns even when the store is down, and the
        // multiplexer connects by itself once it is back.
        services.AddSingleton<IConnectionMultiplexer>(provider =>
        {
            // Not the client's own log (ConfigurationOptions.LoggerFactory): it writes an error with a stack trace at every
            // reconnect attempt (every 200 ms) while the store is down. Its events, one line each, are enough to follow it.
            var store = ConnectionMultiplexer.Connect(StoreConfiguration.Parse(provider.GetRequiredService<IOptions<BackendOptions>>().Value.Redis!));
            store.LogEvents(provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StoreConnectionLog)));
            return store;
        });

        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<RedisCacheOptions>()
            .Configure<IServiceProvider, IOptions<BackendOptions>>((cache, provider, backend) =>
            {
                cache.InstanceName = backend.Value.RedisKeyPrefix;
                cache.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>());
            });
        services.WithRefreshThrottling();
        services.AddSingleton<IStoreHealth, RedisStoreHealth>();

        // What PersistKeysToStackExchangeRedis does, with the process's one multiplexer: that
        // extension wants a connected multiplexer while the services are still being registered.
        services.AddDataProtection().SetApplicationName(SharedApplicationName);
        services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer, IOptions<BackendOptions>>((keys, store, backend) =>
                keys.XmlRepository = new RedisXmlRepository(() => store.GetDatabase(), backend.Value.RedisKeyPrefix + KeyRingKey));

        services.AddHostedService<StoreWarmup>();
        services.AddExceptionHandler<StoreOutageExceptionHandler>();
        return services;
    }

    /// <summary>
    /// Puts <see cref="RefreshThrottlingRedisCache"/> in front of the RedisCache just registered: one round trip per
    /// session read instead of two, and none for the refresh after a request that changed nothing.
    /// </summary>
    private static IServiceCollection WithRefreshThrottling(this IServiceCollection services)
    {
        var redisCache = services.Last(d => d.ServiceType == typeof(IDistributedCache));
        services.Remove(redisCache);
        services.AddSingleton<IDistributedCache>(provider => new RefreshThrottlingRedisCache(
            (IDistributedCache)(redisCache.ImplementationInstance
                ?? redisCache.ImplementationFactory?.Invoke(provider)
                ?? ActivatorUtilities.CreateInstance(provider, redisCache.ImplementationType!)),
            () => provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase(),
            provider.GetRequiredService<IOptions<RedisCacheOptions>>().Value.InstanceName,
            provider.GetRequiredService<IOptions<BackendOptions>>().Value.IdleTimeout,
            provider.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }
}
