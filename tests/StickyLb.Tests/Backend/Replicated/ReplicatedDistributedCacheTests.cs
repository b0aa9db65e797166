using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Replicated;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Replicated;

/// <summary>The replicated session cache on a real one-node Akka.NET cluster (sync mode), in process.</summary>
public sealed class ReplicatedDistributedCacheTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("stickylb", """
        akka.loglevel = OFF
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """);

    [Fact]
    public async Task AChangeWhoseClientWentAwayStillLeavesTheSessionReadLocallyOnItsNextHit()
    {
        var cluster = Cluster.Get(_system);
        cluster.Join(cluster.SelfAddress);
        await Eventually.TrueAsync(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(20), () => $"the node is {cluster.SelfMember.Status}, not Up");
        var readiness = new ReplicaReadiness();
        readiness.MarkReady();
        using var rights = new LocalReadRights(TimeProvider.System, TimeSpan.FromMinutes(20), detectPauses: false);
        var hit = new DefaultHttpContext { Request = { Headers = { ["StickyLb-Affinity"] = "hit" } } };
        var cache = new ReplicatedDistributedCache(
            new SessionReplicator(_system, Options.Create(new ReplicatedOptions { Replication = "sync" })),
            new SessionShards(10), readiness, TimeProvider.System, rights, new HttpContextAccessor { HttpContext = hit });
        var localReads = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // By name: the callback can run while ReplicatedMetrics' own fields are being created.
                if (instrument.Meter.Name == ReplicatedMetrics.MeterName && instrument.Name == "stickylb.replicated.local_reads")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref localReads, (int)value));
        listener.Start();
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();

        // The client is gone before the change is acknowledged: the change is made all the same, and acknowledged.
        await cache.SetAsync("session", [1, 2, 3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) }, gone.Token);
        var read = await cache.GetAsync("session");

        Assert.Equal([1, 2, 3], read);
        Assert.Equal(1, localReads);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
