using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Redis;
using StickyLb.BackendApp.Replicated;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Sessions;

/// <summary>Registers sessions the way StickyLb's memory mode needs them.</summary>
internal static class SessionServiceCollectionExtensions
{
    /// <summary>The session cookie's name, the same on every backend.</summary>
    public const string CookieName = ".StickyLb.Session";

    /// <summary>
    /// Sessions with the store that <c>Backend:Store</c> names: <c>memory</c>, <c>redis</c> or <c>replicated</c>.
    /// </summary>
    public static WebApplicationBuilder AddBackendSessions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var store = builder.Configuration[BackendConfigurationKeys.Path(BackendConfigurationKeys.Store)];
        var replicated = string.Equals(store, StoreModeNames.Replicated, StringComparison.OrdinalIgnoreCase);
        BackendThreadPool.Apply(store, builder.Configuration[BackendConfigurationKeys.Path(BackendConfigurationKeys.Redis)]);
        if (string.Equals(store, StoreModeNames.Redis, StringComparison.OrdinalIgnoreCase))
        {
            services.AddRedisSessionStore();
        }
        else if (replicated)
        {
            services.AddReplicatedSessionStore();
        }
        else
        {
            services.AddMemorySessionStore();
        }

        services.AddSession();
        if (replicated)
        {
            services.WithoutKeyRingPreload();
        }

        services.AddTransient<DistributedSessionStore>();
        services.AddTransient<ISessionStore, ExplicitCommitSessionStore>();
        services.AddOptions<SessionOptions>()
            .Configure<IOptions<BackendOptions>>((session, backend) =>
            {
                session.IdleTimeout = backend.Value.IdleTimeout;
                // The session middleware's own default is one minute; a store that has not
                // answered in 2 s is down as far as a user is concerned.
                session.IOTimeout = TimeSpan.FromSeconds(2);
                session.Cookie.Name = CookieName;
                session.Cookie.HttpOnly = true;
                session.Cookie.SameSite = SameSiteMode.Lax;
                session.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                session.Cookie.IsEssential = true;
            });

        services.AddSingleton<SessionTracker>();
        services.TryAddSingleton<ISessionCount>(provider => provider.GetRequiredService<SessionTracker>());
        services.AddSingleton<SessionStoreFilter>();
        services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Memory mode: sessions in this process's memory, and a Data Protection key ring that lives and
    /// dies with this process. Backends started from one folder by one user would otherwise share
    /// the key ring under ~/.aspnet by accident, and then a backend could read another's cookie.
    /// </summary>
    public static IServiceCollection AddMemorySessionStore(this IServiceCollection services)
    {
        services.AddDistributedMemoryCache();
        services.AddSingleton<IStoreHealth, InProcessStoreHealth>();
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddOptions<DataProtectionOptions>()
            .Configure<IOptions<BackendOptions>>((dp, backend) => dp.ApplicationDiscriminator = "StickyLb.Backend." + backend.Value.Id);
        return services;
    }
}
