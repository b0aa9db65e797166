using System.Collections.Concurrent;
using StickyLb.Proxy.Simulation;

namespace StickyLb.Proxy.Compare;

/// <summary>
/// The live-connection part of the story: some users hold a SignalR connection through the gateway
/// (<see cref="SimulatedLiveConnection"/>) across the kill. Those on backend 2 lose it and open a new one,
/// and in every store mode its count starts again: a session can be shared, a live connection only pinned.
/// </summary>
internal static class CompareLiveConnections
{
    /// <summary>At most this many users hold a live connection: enough to show it, few enough to keep compare's time.</summary>
    public const int MaxUsers = 30;

    /// <summary>How long a connection on the killed backend may take to close (SPEC promises 2 s).</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How many of <paramref name="users"/> simulated users hold a live connection: a tenth, from 1 to <see cref="MaxUsers"/>.</summary>
    public static int UsersFor(int users) => Math.Clamp(users / 10, 1, MaxUsers);

    /// <summary>Opens a live connection for each of <paramref name="users"/> and counts to 2 on it; null where none could be opened.</summary>
    public static async Task<SimulatedLiveConnection?[]> OpenAsync(IReadOnlyList<SimulatedUser> users, Uri gateway, ParallelOptions parallel)
    {
        var connections = new SimulatedLiveConnection?[users.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Count), parallel, async (i, token) =>
        {
            var live = await SimulatedLiveConnection.OpenAsync(gateway, users[i].Cookies, token);
            if (live is not null && await live.IncrementAsync(token) == 1 && await live.IncrementAsync(token) == 2)
            {
                connections[i] = live;
            }
            else if (live is not null)
            {
                await live.DisposeAsync();
            }
        });
        return connections;
    }

    /// <summary>
    /// After the kill: each connection that lived on <paramref name="killedBackend"/> must close; its user
    /// opens a new one through the gateway and counts once more. Disposes every connection.
    /// </summary>
    public static async Task<LiveConnectionsOutcome> AfterKillAsync(
        SimulatedLiveConnection?[] connections, IReadOnlyList<SimulatedUser> users, Uri gateway, string killedBackend, ParallelOptions parallel)
    {
        var (reconnected, stateLost) = (0, 0);
        var opened = new ConcurrentBag<SimulatedLiveConnection>();
        try
        {
            var onKilled = Enumerable.Range(0, users.Count).Where(i => connections[i]?.Backend == killedBackend).ToList();
            await Parallel.ForEachAsync(onKilled, parallel, async (i, token) =>
            {
                // A connection left hanging counts as neither reconnected nor kept: its count cannot go on.
                var closed = await connections[i]!.ClosesWithinAsync(CloseTimeout, token);
                var again = closed ? await SimulatedLiveConnection.OpenAsync(gateway, users[i].Cookies, token) : null;
                if (again is not null)
                {
                    opened.Add(again);
                }

                if (again is not null && again.Backend != killedBackend)
                {
                    Interlocked.Increment(ref reconnected);
                }

                // The old connection had counted to 2: anything but 3 is a count that did not continue.
                if (again is null || await again.IncrementAsync(token) != 3)
                {
                    Interlocked.Increment(ref stateLost);
                }
            });
            return new LiveConnectionsOutcome(onKilled.Count, reconnected, stateLost, users.Count, connections.Count(c => c is not null));
        }
        finally
        {
            foreach (var live in connections.OfType<SimulatedLiveConnection>().Concat(opened))
            {
                await live.DisposeAsync();
            }
        }
    }
}
