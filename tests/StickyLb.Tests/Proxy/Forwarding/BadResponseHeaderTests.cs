using System.Net;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Response headers the gateway cannot pass on (Kestrel refuses to send them) cost the client a 502 and
/// nothing else: the backend's connection is released, and memory does not grow with every such answer.
/// Alone in its collection, so that other tests' allocations do not blur the memory figure.
/// </summary>
[Collection(nameof(BadResponseHeaderTests))]
[CollectionDefinition(nameof(BadResponseHeaderTests), DisableParallelization = true)]
public sealed class BadResponseHeaderTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("X-Latin1: caf\u00e9")]
    [InlineData("X-Control: a\u0001b")]
    [InlineData("X-Delete: a\u007fb")]
    public async Task ThousandsOfResponsesWithHeadersKestrelRefusesLeaveNoConnectionsOrMemoryBehind(string header)
    {
        const int Responses = 1500;
        const int Users = 4;
        await using var backend = RawBackend.Answering($"HTTP/1.1 200 OK\r\n{header}\r\nContent-Length: 2\r\n\r\nok");
        // Passive health off: a backend whose every answer is bad would otherwise leave rotation, and the
        // point here is what each bad answer costs the forwarder.
        await using var gateway = await ForwardingGateway.StartAsync(backend.Address, "--ReverseProxy:Clusters:backends:HealthCheck:Passive:Enabled", "false");
        using var client = gateway.CreateClient();
        await SendAsync(client, 100, Users);
        var before = LiveBytes();

        var statuses = await SendAsync(client, Responses, Users);
        var after = LiveBytes();
        var open = await SettledOpenConnectionsAsync(backend);

        output.WriteLine($"{header}: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()}x {(int)g.Key}"))}; " +
            $"backend connections accepted {backend.AcceptedConnections}, still open {open}; live managed memory {before / 1e6:F1} MB -> {after / 1e6:F1} MB");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadGateway, s));
        Assert.True(open <= Users * 3, $"{open} backend connections are still open after {Responses} bad responses.");
        Assert.True(after - before < 32_000_000, $"Live managed memory grew by {(after - before) / 1e6:F1} MB over {Responses} bad responses.");
    }

    private static async Task<List<HttpStatusCode>> SendAsync(HttpClient client, int count, int users)
    {
        var statuses = new List<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, users).Select(async _ =>
        {
            for (var i = 0; i < count / users; i++)
            {
                using var response = await client.GetAsync("/");
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
        }));
        return statuses;
    }

    private static long LiveBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The backend's open connections once at most 12 (a closed one takes a moment to be seen), or after 5 s.</summary>
    private static async Task<int> SettledOpenConnectionsAsync(RawBackend backend) =>
        (await Eventually.TryAsync(() => Task.FromResult(backend.OpenConnections), open => open <= 12, TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(100))).Last;
}
