using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The <see cref="BackendLanePool"/> of each destination, made on first use and kept as long as the cluster's
/// HttpClient they stand in for (a new one comes with new <c>HttpClient</c> settings, and new pools with it). Each
/// lane's HttpClient comes from YARP's <see cref="IForwarderHttpClientFactory"/>, with the cluster's settings and
/// the gateway's own (<see cref="ConfigureHandler"/>).
/// </summary>
internal sealed class BackendLanes(
    IForwarderHttpClientFactory clientFactory,
    IOptions<BackendConnectionsOptions> options,
    TimeProvider time,
    ILogger<BackendLanes> logger) : IDisposable
{
    // The lane whose HttpClient YARP's factory is making on this thread (the factory configures the handler before
    // it returns, on the caller's thread): how ConfigureHandler knows which lane a handler belongs to.
    [ThreadStatic]
    private static BackendLane? t_creating;

    private readonly ConditionalWeakTable<HttpMessageInvoker, ConcurrentDictionary<string, BackendLanePool>> _pools = new();
    private readonly List<BackendLanePool> _all = [];

    /// <summary>
    /// Part of every backend HttpClient's configuration (<c>ConfigureHttpClient</c>): a lane's HttpClient hands each
    /// new connection's plaintext stream to its lane to watch (<see cref="BackendLane.Watch"/>); others are left as they are.
    /// </summary>
    public static void ConfigureHandler(SocketsHttpHandler handler)
    {
        if (t_creating is { } lane)
        {
            handler.PlaintextStreamFilter = (context, _) => ValueTask.FromResult(lane.Watch(context.PlaintextStream, context.NegotiatedHttpVersion));
        }
    }

    /// <summary>Every pool made so far, for the tests and the metrics.</summary>
    public IReadOnlyList<BackendLanePool> Pools
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The pool of the destination at <paramref name="destinationPrefix"/> in <paramref name="cluster"/>.</summary>
    public BackendLanePool PoolFor(ClusterModel cluster, string destinationPrefix, string destinationId)
    {
        var pools = _pools.GetValue(cluster.HttpClient!, static _ => new ConcurrentDictionary<string, BackendLanePool>(StringComparer.Ordinal));
        if (pools.TryGetValue(destinationPrefix, out var pool))
        {
            return pool;
        }

        lock (_all)
        {
            if (!pools.TryGetValue(destinationPrefix, out pool))
            {
                pool = Create(cluster, destinationId);
                pools[destinationPrefix] = pool;
            }

            return pool;
        }
    }

    public void Dispose()
    {
        foreach (var pool in Pools)
        {
            pool.Dispose();
        }
    }

    private BackendLanePool Create(ClusterModel cluster, string destinationId)
    {
        var config = cluster.Config;
        var httpClient = config.HttpClient ?? HttpClientConfig.Empty;
        var pool = new BackendLanePool(
            destinationId,
            lane => CreateClient(lane, config.ClusterId, httpClient),
            httpClient.MaxConnectionsPerServer,
            options.Value,
            time,
            isolated => logger.UnaskedBytes(isolated.Backend));
        _all.Add(pool);
        return pool;
    }

    private HttpMessageInvoker CreateClient(BackendLane lane, string clusterId, HttpClientConfig httpClient)
    {
        t_creating = lane;
        try
        {
            return clientFactory.CreateClient(new ForwarderHttpClientContext { ClusterId = clusterId, NewConfig = httpClient });
        }
        finally
        {
            t_creating = null;
        }
    }
}
