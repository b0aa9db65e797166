using Microsoft.AspNetCore.Http.HttpResults;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Drain;

namespace StickyLb.Proxy.Admin;

/// <summary><c>/api/backends</c>: list the backends; kill, start, drain and ready one.</summary>
internal static class BackendsApi
{
    public static IEndpointRouteBuilder MapBackendsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/backends", GetBackendsAsync);
        api.MapPost("/backends/{id}/kill", KillAsync);
        api.MapPost("/backends/{id}/start", StartAsync);
        api.MapPost("/backends/{id}/drain", DrainAsync);
        api.MapPost("/backends/{id}/ready", ReadyAsync);
        return api;
    }

    public static async Task<Ok<BackendInfo[]>> GetBackendsAsync(BackendsView backends, CancellationToken cancellationToken) =>
        TypedResults.Ok(await backends.DescribeAllAsync(cancellationToken));

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> KillAsync(
        string id, BackendSupervisor supervisor, BackendsView backends, CancellationToken cancellationToken)
    {
        var result = supervisor.Kill(id);
        if (result != BackendCommandResult.Done)
        {
            return Problem(result, id, "stopped");
        }

        // Done means the supervisor found it by this id.
        var process = supervisor.Find(id)!;
        await process.WaitForExitAsync(cancellationToken);
        return TypedResults.Ok(await backends.DescribeAsync(KnownBackend.Of(process), cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> StartAsync(
        string id, BackendSupervisor supervisor, BackendsView backends, CancellationToken cancellationToken)
    {
        var result = await supervisor.StartAsync(id, cancellationToken);
        if (result != BackendCommandResult.Done)
        {
            return Problem(result, id, "running");
        }

        // Done means the supervisor found it by this id.
        return TypedResults.Ok(await backends.DescribeAsync(KnownBackend.Of(supervisor.Find(id)!), cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> DrainAsync(
        string id, DrainRegistry drain, BackendsView backends, CancellationToken cancellationToken)
    {
        if (backends.Find(id) is not { } backend)
        {
            return Problem(BackendCommandResult.NotFound, id, "draining");
        }

        if (!drain.Drain(backend.Id))
        {
            return Problem(BackendCommandResult.AlreadyInState, backend.Id, "draining");
        }

        return TypedResults.Ok(await backends.DescribeAsync(backend, cancellationToken));
    }

    public static async Task<Results<Ok<BackendInfo>, ProblemHttpResult>> ReadyAsync(
        string id, DrainRegistry drain, BackendsView backends, CancellationToken cancellationToken)
    {
        if (backends.Find(id) is not { } backend)
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

        return TypedResults.Ok(await backends.DescribeAsync(backend, cancellationToken));
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
}
