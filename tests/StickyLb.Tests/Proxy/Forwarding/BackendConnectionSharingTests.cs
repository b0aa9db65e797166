using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using StickyLb.Proxy.Forwarding;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;
using Answer = StickyLb.Tests.Proxy.Forwarding.CrossUserResponseTests.Answer;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Backend connections shared between client connections, through the gateway on real sockets: they follow the
/// requests in flight, not the clients; a connection changes hands only after its quiet period; a late answer a backend
/// sends on a connection then handed to another client connection never reaches that client, and isolates the backend;
/// the cluster's <c>MaxConnectionsPerServer</c> holds; a cluster that speaks only HTTP/2 to its backends shares one
/// connection. Every request here is pinned to destination 1 (<c>server=1</c>), so that one pool serves them all.
/// </summary>
public sealed class BackendConnectionSharingTests(ITestOutputHelper output)
{
    private const string NoQuietPeriod = "00:00:00";

    [Fact]
    public async Task BackendConnectionsFollowTheRequestsInFlightNotTheClientConnections()
    {
        await using var backend = Echoing();
        await using var gateway = await StartAsync(backend.Address, NoQuietPeriod);
        var clients = Enumerable.Range(0, 20).Select(_ => gateway.CreateClient()).ToList();

        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            Assert.Equal(Answer.Own, await AskAsync(client, $"/client/{i}"));
        }

        // Twenty client connections stay open, idle: one backend connection carried their requests (two or three when
        // the next client's request arrived before the gateway had put the connection back).
        Assert.InRange(backend.AcceptedConnections, 1, 3);
        Assert.InRange(Pool(gateway).Count, 1, 3);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task AClientConnectionGetsItsBackendConnectionBackWhileAnotherWaitsOutTheQuietPeriod()
    {
        await using var backend = Echoing();
        await using var gateway = await StartAsync(backend.Address, quietPeriod: "00:00:04");
        using var alice = gateway.CreateClient();
        using var bob = gateway.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Answer.Own, await AskAsync(alice, $"/alice/{i}"));
            Assert.Equal(Answer.Own, await AskAsync(bob, $"/bob/{i}"));
        }

        Assert.Equal(2, backend.AcceptedConnections);
    }

    [Fact]
    public async Task AnUnusedBackendConnectionClosesAfterTheIdleTimeoutThoughItsClientStaysConnected()
    {
        await using var backend = Echoing();
        await using var gateway = await StartAsync(backend.Address, NoQuietPeriod, "--Gateway:BackendConnections:IdleTimeout", "00:00:01");
        using var client = gateway.CreateClient();
        Assert.Equal(Answer.Own, await AskAsync(client, "/once"));

        var open = await Eventually.ValueAsync(() => Task.FromResult(backend.OpenConnections), count => count == 0, TimeSpan.FromSeconds(10), count => $"{count} backend connections still open after the idle timeout");

        Assert.Equal(0, open);
        Assert.Equal(0, Pool(gateway).Count);
        Assert.Equal(Answer.Own, await AskAsync(client, "/again"));
        Assert.Equal(2, backend.AcceptedConnections);
    }

    public static TheoryData<string> LateMisbehaviours => [.. Misbehaviour.All.Where(m => m.Later is not null).Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(LateMisbehaviours))]
    public async Task ALateUnaskedResponseOnAConnectionHandedToAnotherClientConnectionNeverReachesIt(string name)
    {
        // No quiet period: the attacker's backend connection goes to the next client connection as soon as it is idle,
        // the harshest case. The late bytes are on it before the next user asks.
        var misbehaviour = Misbehaviour.All.Single(m => m.Name == name);
        await using var backend = MisbehavingBackend.Start();
        await using var gateway = await StartAsync(backend.Address, NoQuietPeriod);
        using (var attacker = gateway.CreateClient())
        {
            var attackPath = $"/bad/{name}/1";
            using var request = new HttpRequestMessage(new HttpMethod(misbehaviour.Method), attackPath);
            request.Headers.Add("Cookie", "server=1");
            using var attack = await attacker.SendAsync(request);
            await backend.LateBytesWrittenAsync(attackPath).WaitAsync(TimeSpan.FromSeconds(10));
        }

        using var user = gateway.CreateClient();
        var answers = new List<Answer>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await AskAsync(user, $"/u/next/{i}"));
        }

        output.WriteLine($"{name}: the next user's answers: {string.Join(", ", answers)}; backend connections accepted: {backend.AcceptedConnections}");
        Assert.All(answers, answer => Assert.Equal(Answer.Own, answer));
        // The user's first request went out on the attacker's connection (no second connection without it), met the
        // late bytes and went out again on a new one; the backend is isolated from then on.
        Assert.Equal(2, backend.AcceptedConnections);
        Assert.True(Pool(gateway).IsIsolated, "The backend that sent unasked bytes was not isolated.");

        // Isolated: two more client connections each get a backend connection of their own, even with no quiet period.
        using var carol = gateway.CreateClient();
        using var dave = gateway.CreateClient();
        Assert.Equal(Answer.Own, await AskAsync(carol, "/carol/1"));
        Assert.Equal(Answer.Own, await AskAsync(dave, "/dave/1"));
        Assert.Equal(4, backend.AcceptedConnections);
    }

    [Fact]
    public async Task AWellBehavedBackendIsNeverIsolated()
    {
        await using var backend = Echoing();
        await using var gateway = await StartAsync(backend.Address, NoQuietPeriod);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async c =>
        {
            using var client = gateway.CreateClient();
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(Answer.Own, await AskAsync(client, $"/c{c}/{i}"));
            }
        }));

        Assert.False(Pool(gateway).IsIsolated);
        Assert.True(backend.AcceptedConnections <= 8, $"{backend.AcceptedConnections} backend connections for 8 clients");
    }

    [Fact]
    public async Task MaxConnectionsPerServerBoundsTheRequestsInFlightToABackend()
    {
        var inFlight = 0;
        var most = 0;
        await using var backend = RawBackend.Start(async connection =>
        {
            while (await connection.ReadRequestAsync() is { } request)
            {
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref most, now);
                // Real time on purpose: a backend's pace, so that requests overlap.
                await Task.Delay(10);
                Interlocked.Decrement(ref inFlight);
                await connection.SendAsync(Misbehaviour.Echo(request.RequestLine.Split(' ')[1]));
            }
        });
        await using var gateway = await StartAsync(backend.Address, NoQuietPeriod, "--ReverseProxy:Clusters:backends:HttpClient:MaxConnectionsPerServer", "2");

        var answers = new ConcurrentBag<Answer>();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(async c =>
        {
            using var client = gateway.CreateClient();
            for (var i = 0; i < 5; i++)
            {
                answers.Add(await AskAsync(client, $"/c{c}/{i}"));
            }
        }));

        Assert.All(answers, answer => Assert.Equal(Answer.Own, answer));
        Assert.Equal(50, answers.Count);
        Assert.InRange(Volatile.Read(ref most), 1, 2);
        Assert.Equal(2, Pool(gateway).Count);
    }

    [Fact]
    public async Task AClusterThatSpeaksOnlyHttp2ToItsBackendsSharesOneConnectionBetweenClientConnections()
    {
        var connections = new ConcurrentDictionary<string, byte>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listener => listener.Protocols = HttpProtocols.Http2));
        await using var app = builder.Build();
        app.MapGet("/{**path}", (HttpContext context) =>
        {
            connections.TryAdd(context.Connection.Id, 0);
            context.Response.Headers["X-Echo"] = context.Request.Path.Value;
            return Results.Text($"{context.Request.Protocol} {context.Request.Path}");
        });
        await app.StartAsync();
        await using var gateway = await StartAsync(
            new Uri(app.Urls.Single()),
            quietPeriod: "00:00:04",
            "--ReverseProxy:Clusters:backends:HttpRequest:Version", "2",
            "--ReverseProxy:Clusters:backends:HttpRequest:VersionPolicy", "RequestVersionExact");

        for (var c = 0; c < 5; c++)
        {
            using var client = gateway.CreateClient();
            Assert.Equal($"HTTP/2 /h2/{c}", await GetAsync(client, $"/h2/{c}"));
        }

        Assert.Single(connections);
        Assert.Empty(gateway.Services.GetRequiredService<BackendLanes>().Pools);
    }

    private static RawBackend Echoing() => RawBackend.Start(async connection =>
    {
        while (await connection.ReadRequestAsync() is { } request)
        {
            await connection.SendAsync(Misbehaviour.Echo(request.RequestLine.Split(' ')[1]));
        }
    });

    private static Task<InProcessGateway> StartAsync(Uri backend, string quietPeriod, params string[] args) =>
        ForwardingGateway.StartAsync(
            backend,
            [
                "--ReverseProxy:Clusters:backends:HealthCheck:Passive:Enabled", "false",
                "--Gateway:BackendConnections:QuietPeriod", quietPeriod,
                .. args,
            ]);

    private static BackendLanePool Pool(InProcessGateway gateway) =>
        gateway.Services.GetRequiredService<BackendLanes>().Pools.Single(p => p.Backend == "1");

    /// <summary>Asks for <paramref name="path"/>, pinned to destination 1, and says whose answer came back.</summary>
    private static Task<Answer> AskAsync(HttpClient client, string path) =>
        CrossUserResponseTests.AskAsync(client, path, withBody: false, cookie: "server=1");

    private static async Task<string> GetAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "server=1");
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
