using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Redis;

/// <summary>Registers the shared Redis-protocol store for sessions and the Data Protection key ring.</summary>
internal static class RedisServiceCollectionExtensions
{
    /// <summary>The application name all backends share in redis mode, so that each reads the others' cookies.</summary>
    public const string SharedApplicationName = "StickyLb";

    /// <summary>How long connecting to the store may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long a store command may take: within the 2 s a user waits for a 503 at most.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMilliseconds(1500);

    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services)
    {
        services.AddSingleton(provider => new RespConnection(
            provider.GetRequiredService<IOptions<BackendOptions>>().Value.Redis!, ConnectTimeout, CommandTimeout));
        services.AddSingleton<IDistributedCache>(provider => new RespDistributedCache(
            provider.GetRequiredService<RespConnection>(),
            provider.GetRequiredService<IOptions<BackendOptions>>().Value.RedisKeyPrefix,
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IStoreHealth, RespStoreHealth>();

        services.AddDataProtection().SetApplicationName(SharedApplicationName);
        services.AddOptions<KeyManagementOptions>()
            .Configure<RespConnection, IOptions<BackendOptions>>((keys, store, backend) =>
                keys.XmlRepository = new RespXmlRepository(store, backend.Value.RedisKeyPrefix + "DataProtection-Keys"));
        services.AddHostedService<KeyRingWarmup>();
        return services;
    }
}
