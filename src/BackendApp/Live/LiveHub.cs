using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;

namespace StickyLb.BackendApp.Live;

/// <summary>
/// <c>/hubs/live</c>: the smallest SignalR hub that shows what a live connection is. Its count lives in
/// the connection's own memory (<see cref="HubCallerContext.Items"/>), never in the session or the store,
/// as a Blazor Server circuit's state does: when the process dies the count dies with it, in every store
/// mode, and a reconnected client starts again from 1 on whichever backend it reaches.
/// </summary>
internal sealed class LiveHub(IOptions<BackendOptions> options) : Hub
{
    /// <summary>Where the hub is mapped.</summary>
    public const string Path = "/hubs/live";

    private const string CountKey = "StickyLb.Live.Count";

    /// <summary>
    /// Adds one to this connection's count and returns it: 1, 2, 3... SignalR runs one invocation per
    /// connection at a time (MaximumParallelInvocationsPerClient is 1), so the read and write need no lock.
    /// </summary>
    public int Increment()
    {
        var count = (Context.Items.TryGetValue(CountKey, out var value) && value is int previous ? previous : 0) + 1;
        Context.Items[CountKey] = count;
        return count;
    }

    /// <summary>The id of the backend this connection lives on.</summary>
    public string WhoAmI() => options.Value.Id;
}
