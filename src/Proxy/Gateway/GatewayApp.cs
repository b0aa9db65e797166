using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Forwarding;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Live;
using StickyLb.Proxy.Metrics;
using StickyLb.Proxy.Placement;
using StickyLb.Proxy.Replicated;
using StickyLb.Proxy.Simulation;
using StickyLb.Proxy.Store;

namespace StickyLb.Proxy.Gateway;

/// <summary>The gateway as a table of contents: one call per feature.</summary>
internal static class GatewayApp
{
    /// <summary>Builds the gateway from its command line, or explains in one line why it cannot.</summary>
    public static bool TryBuild(string[] args, [NotNullWhen(true)] out WebApplication? app, out string error)
    {
        // The root appsettings.json is copied next to the gateway's binaries: reading it from there
        // makes `dotnet run --project src/Proxy` behave the same from any working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(GatewayCommandLine.ExpandRepeatable(args), GatewayCommandLine.SwitchMappings);
        builder.Services.AddGatewayOptions(builder.Configuration);
        // Bound and validated once before the host is built (building it creates the server, which reads them):
        // a bad value is one line, not an exception.
        if (!GatewayOptionsBinding.TryRead(builder.Configuration, out _, out error)
            || !BackendFaultsPassivePolicyOptionsValidator.TryRead(builder.Configuration, out error)
            || !BackendConnectionsOptionsValidator.TryRead(builder.Configuration, out error))
        {
            app = null;
            return false;
        }

        var listeners = new GatewayListeners();
        builder.WebHost.ConfigureKestrel(kestrel => listeners.Configure(kestrel, kestrel.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value));
        builder.WebHost.UseGatewayScheduling();
        builder.Services.AddSingleton(listeners);

        builder.Services.AddStickySessions();
        builder.Services.AddDrain();
        builder.Services.AddPlacement();
        builder.Services.AddHealthSignals();
        // Hosted services start in this order: the store before the backends, which connect to it as they start.
        builder.Services.AddSessionStore();
        builder.Services.AddClusterPeers();
        builder.Services.AddBackendSupervisor();
        builder.Services.AddLiveConnections();
        builder.Services.AddGatewayMetrics();
        builder.Services.AddUserSimulation();
        builder.Services.AddAdminApi();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<SpawnedDestinationsFilter>()
            .AddConfigFilter<BackendUrlsFilter>()
            .AddConfigFilter<HealthPathFilter>()
            .AddConfigFilter<StoreOutageFilter>()
            .AddConfigFilter<DrainConfigFilter>()
            .AddConfigFilter<AffinityOffFilter>()
            .AddBalanceFilter()
            .AddForwardingSafeguards()
            .AddAffinityHeader()
            .ConfigureBackendHandlers()
            .AddClientConnectionBackends();
        builder.Services.WithoutAuthorizationMiddleware();

        app = builder.Build();
        app.UseMiddleware<AdminRequestGuard>();
        app.MapAdminApi();
        app.MapReverseProxy(proxy =>
        {
            // Around every other step: a request whose backend died before answering goes through them all again.
            proxy.UseInFlightFailover();
            proxy.UseSessionAffinity();
            proxy.UseRebalancing();
            proxy.UseDrain();
            proxy.UseLoadBalancing();
            proxy.UseNoBackendAvailableAnswer();
            proxy.UsePassiveHealthChecks();
            proxy.UseBackendRequestCounting();
            proxy.UseUnforwardableRequestAnswer();
            proxy.UseLiveConnectionCounting();
        }).WithMetadata(ListenerMetadata.Gateway);
        return true;
    }

    /// <summary>
    /// Starts the gateway and its backends, prints the ready line, and runs until SIGINT or SIGTERM,
    /// which stop every backend it started. A failed start is one line on <paramref name="errors"/>.
    /// </summary>
    public static async Task<int> RunAsync(this WebApplication app, TextWriter output, TextWriter errors)
    {
        try
        {
            await app.StartAsync();
        }
        catch (Exception ex) when (ex is BackendStartException or StoreStartException or IOException)
        {
            await errors.WriteLineAsync("stickylb: " + ex.Message);
            await app.DisposeAsync();
            return 1;
        }

        var services = app.Services;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (!options.IsAffinityOn && options.Store == StoreMode.Memory)
        {
            services.GetRequiredService<ILogger<AffinityOffFilter>>().AffinityOffInMemory();
        }

        if (PinLifetime.OutlivesPins(options) is { } sessionIdle)
        {
            services.GetRequiredService<ILogger<PinLifetime>>().PinIdleBelowSessionIdle(options.PinMaxIdle!.Value, sessionIdle);
        }

        await output.WriteLineAsync(ReadyLine.Format(
            options,
            services.GetRequiredService<GatewayListeners>(),
            services.GetRequiredService<BackendSupervisor>(),
            services.GetRequiredService<StoreSupervisor>(),
            services.GetRequiredService<DestinationHealthSignal>()));
        await output.FlushAsync();

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }
}
