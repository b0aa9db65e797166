using Microsoft.AspNetCore.Http.HttpResults;
using StickyLb.Proxy.Simulation;
using StickyLb.Shared;

namespace StickyLb.Proxy.Admin;

/// <summary><c>/api/simulation</c>: the dashboard's simulated users, how many, how long they stay, and whose are active.</summary>
internal static class SimulationApi
{
    public static IEndpointRouteBuilder MapSimulationApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/simulation", GetSimulation);
        api.MapPut("/simulation", PutSimulationAsync);
        return api;
    }

    public static Ok<SimulationStatus> GetSimulation(UserSimulation simulation) => TypedResults.Ok(simulation.Status);

    public static async Task<Results<Ok<SimulationStatus>, ProblemHttpResult>> PutSimulationAsync(
        HttpRequest request, UserSimulation simulation, BackendsView backends)
    {
        var (update, problem) = await JsonBody.ReadAsync<SimulationUpdate>(request);
        if (problem is not null)
        {
            return problem;
        }

        if (update!.Users is not (>= 0 and <= UserSimulation.MaxUsers))
        {
            return JsonBody.BadRequest($"'users' must be a whole number from 0 to {UserSimulation.MaxUsers}.");
        }

        if (update.VisitSeconds is not (null or (>= 0 and <= UserSimulation.MaxVisitSeconds)))
        {
            return JsonBody.BadRequest($"'visitSeconds' must be a whole number from 0 (users never leave) to {UserSimulation.MaxVisitSeconds}.");
        }

        var ids = backends.List().Select(b => b.Id).ToList();
        if (update.ActiveBackend is { Length: > 0 } active && !ids.Contains(active))
        {
            return JsonBody.BadRequest($"'activeBackend' must be one of the backends ({string.Join(", ", ids)}), or null for every user.");
        }

        var share = update.ActiveBackend is { Length: > 0 } backend ? ActiveShare.For(backend, ids) : null;
        await simulation.SetUsersAsync(update.Users.Value, update.VisitSeconds ?? 0, share);
        return TypedResults.Ok(simulation.Status);
    }
}
