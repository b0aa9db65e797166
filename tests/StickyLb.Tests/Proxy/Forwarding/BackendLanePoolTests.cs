using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Who gets which backend connection (<see cref="BackendLanePool"/>), on a fake clock: a client connection gets its own
/// lane back at once, another client connection only after the quiet period, an isolated backend's lanes change hands
/// only on a new connection, and the cluster's connection limit holds.
/// </summary>
public sealed class BackendLanePoolTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(50);

    private readonly FakeTimeProvider _time = new();
    private readonly List<CountingHandler> _clients = [];
    private int _isolations;

    [Fact]
    public async Task AClientConnectionGetsItsOwnLaneBackAtOnce()
    {
        using var pool = Pool();
        using var alice = new ClientConnectionBackends();

        var first = await LendAndReleaseAsync(pool, alice);
        var second = await LendAndReleaseAsync(pool, alice);

        Assert.Same(first, second);
        Assert.Equal(1, pool.Count);
        Assert.Single(_clients);
    }

    [Fact]
    public async Task AnotherClientConnectionGetsAnotherLaneWithinTheQuietPeriod()
    {
        using var pool = Pool();
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();

        var alices = await LendAndReleaseAsync(pool, alice);
        _time.Advance(Quiet - TimeSpan.FromMilliseconds(1));
        var bobs = await LendAndReleaseAsync(pool, bob);

        Assert.NotSame(alices, bobs);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public async Task AnotherClientConnectionGetsTheSameConnectionOnceTheQuietPeriodIsOver()
    {
        using var pool = Pool();
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();

        var alices = await LendAndReleaseAsync(pool, alice);
        var client = alices.Invoker;
        _time.Advance(Quiet);
        var bobs = await LendAndReleaseAsync(pool, bob);

        Assert.Same(alices, bobs);
        Assert.Same(client, bobs.Invoker);
        Assert.Equal(1, pool.Count);
        Assert.Equal(0, _clients[0].Disposed);
    }

    [Fact]
    public async Task IdleClientConnectionsHoldNoLanes()
    {
        // 100 client connections, one request each, one after another: the lanes follow the requests in flight.
        using var pool = Pool();
        var clients = Enumerable.Range(0, 100).Select(_ => new ClientConnectionBackends()).ToList();
        foreach (var client in clients)
        {
            await LendAndReleaseAsync(pool, client);
            _time.Advance(Quiet);
        }

        Assert.Equal(1, pool.Count);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task TheMostRecentlyUsedLaneIsLentFirstSoThatUnusedOnesReachTheIdleTimeoutAndClose()
    {
        using var pool = Pool(idle: TimeSpan.FromSeconds(10));
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();
        using var carol = new ClientConnectionBackends();
        var alices = await pool.LeaseAsync(alice, default);
        var bobs = await pool.LeaseAsync(bob, default);
        pool.Release(alices);
        _time.Advance(TimeSpan.FromSeconds(1));
        pool.Release(bobs);

        // Carol keeps asking now and then: bob's lane (released last) serves her, alice's idles until it closes.
        for (var i = 0; i < 12; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Same(bobs, await LendAndReleaseAsync(pool, carol));
        }

        Assert.Equal(1, pool.Count);
        Assert.True(alices.IsDisposed);
        Assert.Equal(1, _clients[0].Disposed);
    }

    [Fact]
    public async Task UnusedLanesCloseAfterTheIdleTimeoutWithoutAnyFurtherRequest()
    {
        // A burst of client connections, then nothing: the lanes it needed close on their own.
        using var pool = Pool(idle: TimeSpan.FromSeconds(5));
        var clients = Enumerable.Range(0, 10).Select(_ => new ClientConnectionBackends()).ToList();
        var lanes = new List<BackendLane>();
        foreach (var client in clients)
        {
            lanes.Add(await pool.LeaseAsync(client, default));
        }

        lanes.Take(5).ToList().ForEach(pool.Release);
        _time.Advance(TimeSpan.FromSeconds(3));
        lanes.Skip(5).ToList().ForEach(pool.Release);
        Assert.Equal(10, pool.Count);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(5, pool.Count);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0, pool.Count);
        Assert.All(_clients, c => Assert.Equal(1, c.Disposed));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task TheLanesABurstOfNewClientConnectionsOpensForItsQuietPeriodsCloseWithinTwoSecondsDownToItsRequestsInFlight()
    {
        // 200 client connections, one request each, 10 in flight at once, one every 5 ms: with a 50-ms quiet period,
        // lanes are opened for the requests in flight and for those in their quiet period.
        using var pool = Pool(idle: TimeSpan.FromSeconds(5));
        var clients = Enumerable.Range(0, 200).Select(_ => new ClientConnectionBackends()).ToList();
        var inFlight = new Queue<BackendLane>();
        foreach (var client in clients)
        {
            if (inFlight.Count == 10)
            {
                pool.Release(inFlight.Dequeue());
            }

            inFlight.Enqueue(await pool.LeaseAsync(client, default));
            _time.Advance(TimeSpan.FromMilliseconds(5));
        }

        while (inFlight.TryDequeue(out var lane))
        {
            pool.Release(lane);
        }

        var opened = pool.Count;
        Assert.InRange(opened, 15, 30);

        // The surplus beyond the 10 requests in flight goes after a second unused; the 10 are kept for the idle timeout.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(10, pool.Count);
        Assert.Equal(opened - 10, _clients.Count(c => c.Disposed == 1));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, pool.Count);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task ANewClientConnectionPerRequestKeepsReusingTheLanesItNeeds()
    {
        // The steady state of a client that opens a connection per request: every lane is reused within the quiet
        // period's cycle, so none is ever surplus and no connection is closed.
        using var pool = Pool(idle: TimeSpan.FromSeconds(5));
        for (var i = 0; i < 1000; i++)
        {
            using var client = new ClientConnectionBackends();
            await LendAndReleaseAsync(pool, client);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.InRange(pool.Count, 5, 6);
        Assert.All(_clients, c => Assert.Equal(0, c.Disposed));
    }

    [Fact]
    public async Task AfterUnaskedBytesLanesChangeHandsOnlyOnANewConnection()
    {
        using var pool = Pool();
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();
        var alices = await LendAndReleaseAsync(pool, alice);

        pool.SawUnaskedBytes();
        pool.SawUnaskedBytes();
        _time.Advance(Quiet * 10);
        var bobs = await LendAndReleaseAsync(pool, bob);

        Assert.Equal(1, _isolations);
        Assert.True(pool.IsIsolated);
        Assert.NotSame(alices, bobs);
        Assert.Same(alices, await LendAndReleaseAsync(pool, alice));
    }

    [Fact]
    public async Task AnIsolatedBackendsLaneClosesWithItsClientConnection()
    {
        using var pool = Pool(sharing: BackendConnectionSharing.Never);
        var alice = new ClientConnectionBackends();
        var alices = await LendAndReleaseAsync(pool, alice);

        alice.Dispose();

        Assert.True(alices.IsDisposed);
        Assert.Equal(0, pool.Count);
        Assert.Equal(0, _isolations);
    }

    [Fact]
    public async Task AtTheLimitAnotherClientsFreeLaneIsTakenOnANewConnection()
    {
        using var pool = Pool(limit: 1);
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();
        var alices = await LendAndReleaseAsync(pool, alice);
        var alicesClient = alices.Invoker;

        var bobs = await LendAndReleaseAsync(pool, bob);

        Assert.Same(alices, bobs);
        Assert.NotSame(alicesClient, bobs.Invoker);
        Assert.Equal(1, _clients[0].Disposed);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public async Task AtTheLimitARequestWaitsForALaneAndGetsItOnANewConnectionWhenItWasAnothersOwn()
    {
        using var pool = Pool(limit: 1);
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();
        var alices = await pool.LeaseAsync(alice, default);
        var alicesClient = alices.Invoker;

        var waiting = pool.LeaseAsync(bob, default);
        Assert.False(waiting.IsCompleted);
        pool.Release(alices);
        var bobs = await waiting;

        Assert.Same(alices, bobs);
        Assert.NotSame(alicesClient, bobs.Invoker);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public async Task AWaitingRequestWhoseClientLeavesGetsNoLane()
    {
        using var pool = Pool(limit: 1);
        using var alice = new ClientConnectionBackends();
        using var bob = new ClientConnectionBackends();
        using var carol = new ClientConnectionBackends();
        var alices = await pool.LeaseAsync(alice, default);
        using var bobLeaves = new CancellationTokenSource();

        var bobWaits = pool.LeaseAsync(bob, bobLeaves.Token);
        var carolWaits = pool.LeaseAsync(carol, default);
        await bobLeaves.CancelAsync();
        pool.Release(alices);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await bobWaits);
        Assert.Same(alices, await carolWaits);
    }

    private BackendLanePool Pool(int? limit = null, TimeSpan? idle = null, BackendConnectionSharing sharing = BackendConnectionSharing.AfterQuietPeriod) =>
        new("2", _ => Client(), limit, new BackendConnectionsOptions { QuietPeriod = Quiet, IdleTimeout = idle ?? TimeSpan.FromMinutes(1), Sharing = sharing }, _time, _ => _isolations++);

    private HttpMessageInvoker Client()
    {
        var handler = new CountingHandler();
        _clients.Add(handler);
        return new HttpMessageInvoker(handler);
    }

    private static async Task<BackendLane> LendAndReleaseAsync(BackendLanePool pool, ClientConnectionBackends owner)
    {
        var lane = await pool.LeaseAsync(owner, default);
        pool.Release(lane);
        return lane;
    }

    private sealed class CountingHandler : HttpMessageHandler
    {
        public int Disposed { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed++;
            base.Dispose(disposing);
        }
    }
}
