using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// One client connection of a gateway listener, as the backend connections see it: the <see cref="BackendLane"/> it
/// used last in each <see cref="BackendLanePool"/>, which it gets back at once, while any other client connection
/// waits for that lane's quiet period. Holds no backend connection of its own: an idle client costs its backends nothing.
/// </summary>
internal sealed class ClientConnectionBackends : IDisposable
{
    private const string ItemKey = "StickyLb.ClientConnectionBackends";

    private readonly Lock _lock = new();

    // Almost always one backend per connection: a pair of fields, and a dictionary only beyond it.
    private BackendLanePool? _pool;
    private BackendLane? _lane;
    private Dictionary<BackendLanePool, BackendLane>? _more;
    private bool _closed;

    /// <summary>Whether the client connection has closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Gives every connection <paramref name="listener"/> accepts its place among the backends' lanes, given up when it closes.</summary>
    public static void Attach(ListenOptions listener) =>
        listener.Use(next => async connection =>
        {
            using var backends = new ClientConnectionBackends();
            connection.Items[ItemKey] = backends;
            await next(connection);
        });

    /// <summary>The client connection <paramref name="context"/> came on, if it came on a listener that has them.</summary>
    public static ClientConnectionBackends? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var backends) == true
            ? backends as ClientConnectionBackends
            : null;

    /// <summary>The lane this client connection used last in <paramref name="pool"/>, if any.</summary>
    public BackendLane? LaneIn(BackendLanePool pool)
    {
        lock (_lock)
        {
            return ReferenceEquals(_pool, pool) ? _lane : _more?.GetValueOrDefault(pool);
        }
    }

    /// <summary>This client connection's request now has <paramref name="lane"/> of <paramref name="pool"/>.</summary>
    public void Remember(BackendLanePool pool, BackendLane lane)
    {
        lock (_lock)
        {
            if (_pool is null || ReferenceEquals(_pool, pool))
            {
                (_pool, _lane) = (pool, lane);
            }
            else
            {
                (_more ??= [])[pool] = lane;
            }
        }
    }

    public void Dispose()
    {
        List<(BackendLanePool Pool, BackendLane Lane)> used;
        lock (_lock)
        {
            _closed = true;
            used = [.. _more?.Select(m => (m.Key, m.Value)) ?? []];
            if (_pool is not null)
            {
                used.Add((_pool, _lane!));
            }
        }

        foreach (var (pool, lane) in used)
        {
            pool.OwnerClosed(this, lane);
        }
    }
}
