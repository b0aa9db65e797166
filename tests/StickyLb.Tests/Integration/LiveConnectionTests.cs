using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// Live connections through the real gateway to the real backends' SignalR hub, with Microsoft's SignalR
/// .NET client, in each transport: pinned like any request, counted per backend while open, closed within
/// 2 s when their backend dies, and never shared: the state of a live connection is lost in every store mode.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class LiveConnectionTests(ITestOutputHelper output, LiveGatewayFixture sticky) : IClassFixture<LiveGatewayFixture>
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The promise SPEC makes: a live connection to a backend that dies is closed within this.</summary>
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(2);

    /// <summary>How many connections each transport tries, with and without affinity.</summary>
    private const int Attempts = 6;

    private static readonly HttpTransportType[] AllTransports = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];

    public static TheoryData<HttpTransportType> Transports() => new(AllTransports);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EachTransportWorksThroughTheGatewayAndCountsOnTheBackendOfItsCookie(HttpTransportType transport)
    {
        var gateway = sticky.Gateway;
        var cookies = new CookieContainer();

        await using (var live = await LiveClient.ConnectAsync(gateway.GatewayUrl, transport, cookies, ConnectTimeout))
        {
            var backend = await live.WhoAmIAsync();
            int[] counts = [await live.IncrementAsync(), await live.IncrementAsync(), await live.IncrementAsync()];
            var whileOpen = await gateway.GetBackendsAsync();

            Assert.Equal(backend, ServerCookie(cookies, gateway));
            Assert.Equal([1, 2, 3], counts);
            Assert.Equal(backend, await live.WhoAmIAsync());
            // A WebSocket or an event stream is a live connection; a long poll is an ordinary request.
            var expected = transport == HttpTransportType.LongPolling ? 0 : 1;
            Assert.All(whileOpen, b => Assert.Equal(b.Id == backend ? expected : 0, b.Connections));
            // The exporter caches a scrape for a moment (300 ms by default): the gauge is polled.
            await ScrapeUntilAsync(gateway, $"(?m)^stickylb_backend_connections{{[^}}]*backend=\"{backend}\"[^}}]*}} {expected}( |$)");
        }

        await WaitForNoConnectionsAsync(gateway);
    }

    [Fact]
    public async Task WithAffinityEveryNegotiateBasedConnectionWorks()
    {
        var (events, eventFailures) = await AttemptAsync(sticky.Gateway, HttpTransportType.ServerSentEvents);
        var (polls, pollFailures) = await AttemptAsync(sticky.Gateway, HttpTransportType.LongPolling);

        Assert.Equal((Attempts, Attempts), (events, polls));
        Assert.Empty(eventFailures.Concat(pollFailures));
    }

    [Fact]
    public async Task WithoutAffinityMostNegotiateBasedConnectionsFail()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, "--affinity", "off");

        var (events, eventFailures) = await AttemptAsync(gateway, HttpTransportType.ServerSentEvents);
        var (polls, pollFailures) = await AttemptAsync(gateway, HttpTransportType.LongPolling);

        // The negotiate and the connection that follows it are balanced each on their own, so they reach
        // different backends; the second does not know the connection the first created. Measured: 0 of 6 each.
        output.WriteLine($"affinity off: server-sent events {events} of {Attempts} worked, long polling {polls} of {Attempts}.");
        Assert.InRange(events, 0, (Attempts - 1) / 2);
        Assert.InRange(polls, 0, (Attempts - 1) / 2);
        // Each failed because its backend did not know the connection (404), not for any other reason.
        Assert.All(eventFailures.Concat(pollFailures), failure => Assert.Contains("404", failure));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    public async Task KillingThePinnedBackendClosesItsLiveConnectionsWithin2SecondsAndTheirStateIsLost(string store)
    {
        string[] args = store == "redis" ? ["--store", "redis", "--store-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture)] : [];
        await using var gateway = await GatewayProcess.StartAsync(output, args);
        // One browser: one cookie jar, so all three connections are pinned to the same backend.
        var cookies = new CookieContainer();
        var transports = AllTransports;
        var connections = new List<LiveClient>();
        await using var cleanup = new AsyncCleanup(connections);
        foreach (var transport in transports)
        {
            connections.Add(await LiveClient.ConnectAsync(gateway.GatewayUrl, transport, cookies, ConnectTimeout));
        }

        var pinned = await connections[0].WhoAmIAsync();
        foreach (var live in connections)
        {
            Assert.Equal((pinned, 1, 2), (await live.WhoAmIAsync(), await live.IncrementAsync(), await live.IncrementAsync()));
        }

        Assert.Equal(2, (await gateway.GetBackendsAsync()).Single(b => b.Id == pinned).Connections);

        var killed = Stopwatch.GetTimestamp();
        using (var kill = await gateway.Admin.PostAsync($"/api/backends/{pinned}/kill", null))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        var closedAfter = new List<TimeSpan>();
        foreach (var live in connections)
        {
            var closed = await live.Closed.WaitAsync(TimeSpan.FromSeconds(10));
            closedAfter.Add(Stopwatch.GetElapsedTime(killed, closed));
        }

        output.WriteLine($"{store}: closed after the kill in " + string.Join(", ", transports.Zip(closedAfter, (t, c) => $"{t} {c.TotalMilliseconds:0} ms")));
        Assert.All(closedAfter, c => Assert.True(c < CloseBound, $"A live connection closed {c.TotalMilliseconds:0} ms after the kill."));
        var afterKill = await gateway.WaitForBackendAsync(pinned, b => b.Connections == 0, CloseBound);
        Assert.Equal(0, afterKill.Connections);

        // The client reconnects through the gateway, as an app would: re-pinned to a healthy backend, and its
        // count starts again, whatever the store: a live connection's state lives only in its backend.
        foreach (var transport in transports)
        {
            await using var again = await LiveClient.ConnectAsync(gateway.GatewayUrl, transport, cookies, ConnectTimeout);
            var backend = await again.WhoAmIAsync();

            Assert.NotEqual(pinned, backend);
            Assert.Equal(backend, ServerCookie(cookies, gateway));
            Assert.Equal(1, await again.IncrementAsync());
        }
    }

    /// <summary>
    /// Makes <see cref="Attempts"/> connections one after another; returns how many worked (connected and
    /// counted 1, 2 on one backend) and why the others did not.
    /// </summary>
    private async Task<(int Worked, List<string> Failures)> AttemptAsync(GatewayProcess gateway, HttpTransportType transport)
    {
        var (worked, failures) = (0, new List<string>());
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            try
            {
                await using var live = await LiveClient.ConnectAsync(gateway.GatewayUrl, transport, new CookieContainer(), ConnectTimeout);
                if ((await live.IncrementAsync(), await live.IncrementAsync()) == (1, 2))
                {
                    worked++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or IOException or AggregateException or OperationCanceledException)
            {
                output.WriteLine($"{transport} attempt {attempt + 1}: {ex.GetType().Name}: {ex.Message}");
                failures.Add(ex.Message);
            }
        }

        return (worked, failures);
    }

    private static Task<BackendInfo[]> WaitForNoConnectionsAsync(GatewayProcess gateway) =>
        Eventually.ValueAsync(
            gateway.GetBackendsAsync,
            backends => backends.All(b => b.Connections == 0),
            CloseBound,
            backends => $"live connections still counted after the client closed them: {string.Join(", ", backends.Select(b => $"{b.Id}: {b.Connections}"))}.");

    private static Task<string> ScrapeUntilAsync(GatewayProcess gateway, string pattern) =>
        Eventually.ValueAsync(
            () => gateway.Admin.GetStringAsync("/metrics"),
            metrics => System.Text.RegularExpressions.Regex.IsMatch(metrics, pattern),
            CloseBound,
            metrics => $"/metrics did not match {pattern}:\n{metrics}",
            interval: TimeSpan.FromMilliseconds(50));

    private static string? ServerCookie(CookieContainer cookies, GatewayProcess gateway) => cookies.GetCookies(gateway.GatewayUrl)["server"]?.Value;

    /// <summary>Disposes every connection a test opened, also when it fails.</summary>
    private sealed class AsyncCleanup(List<LiveClient> connections) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var live in connections)
            {
                await live.DisposeAsync();
            }
        }
    }
}
