using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Store;
using StickyLb.Shared;

namespace StickyLb.Proxy.Admin;

/// <summary><c>/api/store</c>: the session store, and in redis mode whether it answers.</summary>
internal static class StoreApi
{
    /// <summary>How long <c>/api/store</c> waits for the store to answer.</summary>
    private static readonly TimeSpan StoreProbeTimeout = TimeSpan.FromSeconds(1);

    public static IEndpointRouteBuilder MapStoreApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/store", GetStoreAsync);
        return api;
    }

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
}
