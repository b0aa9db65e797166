using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using StickyLb.Proxy.Live;
using StickyLb.Proxy.Metrics;
using StickyLb.Proxy.Simulation;
using StickyLb.Proxy.Store;
using StickyLb.Shared;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// The admin API on the admin listener (loopback by default; <see cref="AdminRequestGuard"/> checks every request): backends (list, kill, start), settings (the
/// live failover toggle) and stats. None of it exists on the gateway port.
/// </summary>
internal static class AdminApi
{
    /// <summary>How long listing the backends waits for each one's session count.</summary>
    private static readonly TimeSpan SessionsProbeTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>How long <c>/api/store</c> waits for the store to answer.</summary>
    private static readonly TimeSpan StoreProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How many seconds of traffic <c>/api/stats</c> reports.</summary>
    private const int RecentSeconds = 30;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        // Errors on the admin port are problems too; they are handled here, on admin endpoints only,
        // so that the gateway's per-request path carries no error-handling middleware.
        var admin = app.MapGroup("").WithMetadata(ListenerMetadata.Admin).AddEndpointFilter<AdminErrorFilter>();
        admin.MapDashboard();
        // The instruments exist once created; the exporter reads them on each scrape.
        _ = app.ServiceProvider.GetRequiredService<GatewayMetrics>();
        admin.MapPrometheusScrapingEndpoint("/metrics");
        admin.MapFallback("{**path}", NotFound);

        var api = admin.MapGroup("/api");
        api.MapGet("/backends", GetBackendsAsync);
        api.MapPost("/backends/{id}/kill", KillAsync);
        api.MapPost("/backends/{id}/start", StartAsync);
        api.MapPost("/backends/{id}/drain", DrainAsync);
        api.MapPost("/backends/{id}/ready", ReadyAsync);
        api.MapGet("/settings", GetSettings);
        api.MapPut("/settings", PutSettingsAsync);
        api.MapGet("/stats", GetStats);
        api.MapGet("/store", GetStoreAsync);
        api.MapGet("/simulation", GetSimulation);
        api.MapPut("/simulation", PutSimulationAsync);
        return app;
    }

    public static async Task<Ok<BackendInfo[]>> GetBackendsAsync(
        BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        var backends = supervisor.IsSupervising
            ? supervisor.Backends.Select(b => (b.Id, b.Address, (BackendState?)b.State, b.Pid))
            : health.Destinations().Select(d => (d.DestinationId, new Uri(d.Model.Config.Address), (BackendState?)null, (int?)null));
        var infos = await Task.WhenAll(backends.Select(b => DescribeAsync(b.Item1, b.Item2, b.Item3, b.Item4, health, requests, connections, probe, drain, cancellationToken)));
        return TypedResults.Ok(infos);
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> KillAsync(
        string id, BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        var result = supervisor.Kill(id);
        if (result != BackendCommandResult.Done)
        {
            return Problem(result, id, "stopped");
        }

        var backend = supervisor.Find(id)!;
        await backend.WaitForExitAsync(cancellationToken);
        return TypedResults.Ok(await DescribeAsync(backend, health, requests, connections, probe, drain, cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> StartAsync(
        string id, BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        var result = await supervisor.StartAsync(id, cancellationToken);
        if (result != BackendCommandResult.Done)
        {
            return Problem(result, id, "running");
        }

        return TypedResults.Ok(await DescribeAsync(supervisor.Find(id)!, health, requests, connections, probe, drain, cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> DrainAsync(
        string id, BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        if (Known(id, supervisor, health) is not { } backend)
        {
            return Problem(BackendCommandResult.NotFound, id, "draining");
        }

        if (!drain.Drain(backend.Id))
        {
            return Problem(BackendCommandResult.AlreadyInState, backend.Id, "draining");
        }

        return TypedResults.Ok(await DescribeKnownAsync(backend, supervisor, health, requests, connections, probe, drain, cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> ReadyAsync(
        string id, BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        if (Known(id, supervisor, health) is not { } backend)
        {
            return Problem(BackendCommandResult.NotFound, id, "running");
        }

        if (drain.IsDrainingByConfiguration(backend.Id))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "Drained by the configuration",
                detail: $"Backend {backend.Id} drains because its destination's metadata says \"Drain\": \"true\"; remove that from the configuration to make it ready.");
        }

        if (!drain.Ready(backend.Id))
        {
            return Problem(BackendCommandResult.AlreadyInState, backend.Id, "taking new clients");
        }

        return TypedResults.Ok(await DescribeKnownAsync(backend, supervisor, health, requests, connections, probe, drain, cancellationToken));
    }

    /// <summary>A backend this gateway knows by <paramref name="id"/>: one it spawned, or a destination of its configuration.</summary>
    private static (string Id, Uri Address)? Known(string id, BackendSupervisor supervisor, DestinationHealthSignal health) =>
        KnownBackends.List(supervisor, health).Cast<(string Id, Uri Address)?>()
            .FirstOrDefault(b => string.Equals(b!.Value.Id, id, StringComparison.OrdinalIgnoreCase));

    private static Task<BackendInfo> DescribeKnownAsync(
        (string Id, Uri Address) backend, BackendSupervisor supervisor, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken) =>
        supervisor.Find(backend.Id) is { } process
            ? DescribeAsync(process, health, requests, connections, probe, drain, cancellationToken)
            : DescribeAsync(backend.Id, backend.Address, null, null, health, requests, connections, probe, drain, cancellationToken);

    public static async Task<Ok<StoreStatus>> GetStoreAsync(IOptions<GatewayOptions> options, StoreSupervisor store, CancellationToken cancellationToken)
    {
        if (store.Configuration is not { } configuration)
        {
            return TypedResults.Ok(new StoreStatus(options.Value.Store.Name(), null, [], null, null, null));
        }

        var parsed = StoreConfiguration.Parse(configuration);
        var (answer, primary) = await StoreProbe.DescribeAsync(configuration, StoreProbeTimeout, cancellationToken);
        return TypedResults.Ok(new StoreStatus(
            StoreModeNames.Redis, store.Kind, [.. parsed.EndPoints.Select(EndPointCollection.ToString)], parsed.ServiceName, answer == StoreAnswer.Answers, primary));
    }

    public static Ok<GatewaySettings> GetSettings(IOptions<GatewayOptions> options, FailoverSwitch failover) =>
        TypedResults.Ok(new GatewaySettings(options.Value.Store.Name(), failover.Current.ToString(), AffinityName(options.Value)));

    public static async Task<Results<Ok<GatewaySettings>, ProblemHttpResult>> PutSettingsAsync(
        HttpRequest request, IOptions<GatewayOptions> options, FailoverSwitch failover)
    {
        var (update, problem) = await JsonBody.ReadAsync<GatewaySettingsUpdate>(request);
        if (problem is not null)
        {
            return problem;
        }

        var store = options.Value.Store.Name();
        if (update!.Store is not null && !string.Equals(update.Store, store, StringComparison.OrdinalIgnoreCase))
        {
            return BadRequest($"The store cannot change while the gateway runs (it is {store}); restart it with --store.");
        }

        if (update.Failover is not null)
        {
            var converter = new FailoverModeConverter();
            if (!converter.TryParse(update.Failover, out var mode))
            {
                return BadRequest($"Invalid failover '{update.Failover}': expected {converter.Expected}.");
            }

            failover.Set(mode);
        }

        return TypedResults.Ok(new GatewaySettings(store, failover.Current.ToString(), AffinityName(options.Value)));
    }

    private static string AffinityName(GatewayOptions options) => options.IsAffinityOn ? "on" : "off";

    public static Ok<GatewayStats> GetStats(AffinityCounters affinity, BackendRequestCounters requests, RecentTraffic traffic) =>
        TypedResults.Ok(new GatewayStats(affinity.Snapshot(), requests.Snapshot(), traffic.Snapshot(RecentSeconds)));

    public static Ok<SimulationStatus> GetSimulation(UserSimulation simulation) => TypedResults.Ok(simulation.Status);

    public static async Task<Results<Ok<SimulationStatus>, ProblemHttpResult>> PutSimulationAsync(
        HttpRequest request, UserSimulation simulation, BackendSupervisor supervisor, DestinationHealthSignal health)
    {
        var (update, problem) = await JsonBody.ReadAsync<SimulationUpdate>(request);
        if (problem is not null)
        {
            return problem;
        }

        if (update!.Users is not (>= 0 and <= UserSimulation.MaxUsers))
        {
            return BadRequest($"'users' must be a whole number from 0 to {UserSimulation.MaxUsers}.");
        }

        if (update.VisitSeconds is not (null or (>= 0 and <= UserSimulation.MaxVisitSeconds)))
        {
            return BadRequest($"'visitSeconds' must be a whole number from 0 (users never leave) to {UserSimulation.MaxVisitSeconds}.");
        }

        var backends = KnownBackends.List(supervisor, health).Select(b => b.Id).ToList();
        if (update.ActiveBackend is { Length: > 0 } active && !backends.Contains(active))
        {
            return BadRequest($"'activeBackend' must be one of the backends ({string.Join(", ", backends)}), or null for every user.");
        }

        var share = update.ActiveBackend is { Length: > 0 } backend ? ActiveShare.For(backend, backends) : null;
        await simulation.SetUsersAsync(update.Users.Value, update.VisitSeconds ?? 0, share);
        return TypedResults.Ok(simulation.Status);
    }

    private static Task<BackendInfo> DescribeAsync(
        BackendProcess backend, DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken) =>
        DescribeAsync(backend.Id, backend.Address, backend.State, backend.Pid, health, requests, connections, probe, drain, cancellationToken);

    // state: the supervised process's state, or null for a destination this gateway did not spawn.
    private static async Task<BackendInfo> DescribeAsync(
        string id, Uri address, BackendState? state, int? pid,
        DestinationHealthSignal health, BackendRequestCounters requests, LiveConnectionCounters connections, BackendProbe probe, DrainRegistry drain, CancellationToken cancellationToken)
    {
        var healthText = health.Describe(id);
        // A backend this gateway does not run is never "stopped": its health says whether it answers.
        var running = state is null || state != BackendState.Stopped;
        var (sessions, memoryBytes) = (0, 0L);
        if (running && HealthStatus.IsUp(healthText))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SessionsProbeTimeout);
            try
            {
                var report = await probe.GetHealthAsync(address, timeout.Token);
                (sessions, memoryBytes) = (report?.Sessions ?? 0, report?.MemoryBytes ?? 0);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A backend too slow to report is reported with no sessions and no memory.
            }
        }

        var stateText = KnownBackends.StateText(running, drain.IsDraining(id));
        return new BackendInfo(id, address.ToString().TrimEnd('/'), stateText, healthText, pid, requests.Get(id), sessions, memoryBytes, connections.Get(id));
    }

    private static ProblemHttpResult Problem(BackendCommandResult result, string id, string state) => result switch
    {
        BackendCommandResult.NotFound => TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound, title: "No such backend", detail: $"There is no backend '{id}'."),
        BackendCommandResult.AlreadyInState => TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict, title: "Nothing to do", detail: $"Backend {id} is already {state}."),
        BackendCommandResult.NotSupervised => TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict, title: "Not supervised",
            detail: "This gateway runs with --spawn false: it started no backend processes, so it cannot kill or start them."),
        BackendCommandResult.Failed => TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Backend did not start",
            detail: $"Backend {id} was started but did not answer its health probe in time; see the gateway's log."),
        _ => throw new NotSupportedException($"No problem for {result}."),
    };

    private static ProblemHttpResult BadRequest(string detail) => JsonBody.BadRequest(detail);

    /// <summary>Any other path on the admin port.</summary>
    public static ProblemHttpResult NotFound(HttpRequest request) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The admin API has no {request.Method} {request.Path}.");
}
