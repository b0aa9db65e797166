using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;
using StickyLb.Shared;

namespace StickyLb.Proxy.Admin;

/// <summary><c>/api/settings</c>: the store, the affinity and the live failover toggle.</summary>
internal static class SettingsApi
{
    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/settings", GetSettings);
        api.MapPut("/settings", PutSettingsAsync);
        return api;
    }

    public static Ok<GatewaySettings> GetSettings(IOptions<GatewayOptions> options, FailoverSwitch failover) =>
        TypedResults.Ok(Current(options.Value, failover));

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
            return JsonBody.BadRequest($"The store cannot change while the gateway runs (it is {store}); restart it with --store.");
        }

        if (update.Failover is not null)
        {
            var converter = new FailoverModeConverter();
            if (!converter.TryParse(update.Failover, out var mode))
            {
                return JsonBody.BadRequest($"Invalid failover '{update.Failover}': expected {converter.Expected}.");
            }

            failover.Set(mode);
        }

        return TypedResults.Ok(Current(options.Value, failover));
    }

    private static GatewaySettings Current(GatewayOptions options, FailoverSwitch failover) =>
        new(options.Store.Name(), failover.Current.ToString(), options.IsAffinityOn ? "on" : "off", options.PinMaxIdle, options.PinMaxLife);
}
