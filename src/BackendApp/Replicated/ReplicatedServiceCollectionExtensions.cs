using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Replicated mode (session clustering): an Akka.NET cluster of the backends, each holding every
/// session in DistributedData, behind ASP.NET Core's <see cref="IDistributedCache"/>.
/// </summary>
internal static class ReplicatedServiceCollectionExtensions
{
    /// <summary>The actor system's name: the same on every backend, or they cannot form one cluster.</summary>
    public const string ActorSystemName = "stickylb";

    /// <summary>The application name every backend shares, so that each reads the others' cookies.</summary>
    public const string SharedApplicationName = "StickyLb";

    /// <summary>
    /// The largest message the cluster transport accepts. Akka's default (128,000 bytes) silently drops
    /// the gossip of a shard with a few hundred sessions, and replication stops without an error.
    /// </summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public static IServiceCollection AddReplicatedSessionStore(this IServiceCollection services)
    {
        services.AddOptions<ReplicatedOptions>()
            .BindConfiguration(ReplicatedOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(provider => new SessionShards(provider.GetRequiredService<IOptions<ReplicatedOptions>>().Value.Shards));
        services.AddSingleton<ReplicaReadiness>();
        services.AddSingleton<SessionReplicator>();
        services.AddSingleton<ReplicatedSessionCount>();
        services.AddSingleton<ISessionCount>(provider => provider.GetRequiredService<ReplicatedSessionCount>());
        services.AddHttpContextAccessor();
        services.AddSingleton(provider => new LocalReadRights(
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetRequiredService<IOptions<BackendOptions>>().Value.IdleTimeout));
        services.AddSingleton<IDistributedCache, ReplicatedDistributedCache>();
        services.AddSingleton<IStoreHealth, ReplicatedStoreHealth>();
        services.AddHostedService<ReplicaWarmup>();
        services.AddExceptionHandler<StoreOutageExceptionHandler>();
        services.AddHostedService<ExpiredSessionSweeper>();

        services.AddDataProtection().SetApplicationName(SharedApplicationName);
        services.AddSingleton<ReplicatedXmlRepository>();
        services.AddOptions<KeyManagementOptions>()
            .Configure<ReplicatedXmlRepository>((keys, repository) => keys.XmlRepository = repository);

        services.AddAkka(ActorSystemName, (akka, provider) =>
        {
            var options = provider.GetRequiredService<IOptions<ReplicatedOptions>>().Value;
            akka.ConfigureLoggers(loggers =>
                {
                    loggers.LogLevel = Akka.Event.LogLevel.WarningLevel;
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithRemoting(new RemoteOptions { HostName = options.Hostname, Port = options.Port, MaxFrameSize = MaxFrameBytes })
                .WithClustering(new ClusterOptions
                {
                    SeedNodes = [.. options.SeedList.Select(seed => $"akka.tcp://{ActorSystemName}@{seed}")],
                })
                .AddHocon(ClusterHocon.Value, HoconAddMode.Prepend);
            if (!string.IsNullOrWhiteSpace(options.Hocon))
            {
                akka.AddHocon(ConfigurationFactory.ParseString(options.Hocon), HoconAddMode.Prepend);
            }

            var rights = provider.GetRequiredService<LocalReadRights>();
            akka.WithActors((system, _) => system.ActorOf(Props.Create(() => new ClusterChangeWatcher(rights)), "cluster-change-watcher"));
            if (options.DownDeadPeers)
            {
                var logger = provider.GetRequiredService<ILogger<DeadPeerWatcher>>();
                akka.WithActors((system, _) => system.ActorOf(Props.Create(() => new DeadPeerWatcher(logger)), "dead-peer-watcher"));
            }
        });
        return services;
    }

    /// <summary>
    /// Data Protection preloads the key ring while the host starts, and the ring can only be read once this
    /// node has joined the others: the server would not listen until then, and <c>/healthz</c> could not say
    /// 503 (joining). <see cref="ReplicaWarmup"/> loads the ring itself before it marks the node ready. Call
    /// after everything that adds Data Protection (<c>AddSession</c> does), or the preload comes back.
    /// </summary>
    public static IServiceCollection WithoutKeyRingPreload(this IServiceCollection services)
    {
        foreach (var preload in services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
        {
            services.Remove(preload);
        }

        return services;
    }

    /// <summary>The timings in <c>cluster.hocon</c>, each with what it trades away.</summary>
    private static readonly Lazy<Config> ClusterHocon = new(() =>
    {
        using var stream = typeof(ReplicatedServiceCollectionExtensions).Assembly.GetManifestResourceStream("StickyLb.Replicated.cluster.hocon")
            ?? throw new InvalidOperationException("The embedded cluster.hocon is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });
}
