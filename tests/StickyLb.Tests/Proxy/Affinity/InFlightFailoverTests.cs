using System.Net;
using System.Net.Http.Json;
using System.Text;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using StickyLb.Tests.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Affinity;

/// <summary>
/// A request on its way when its backend dies gets what the failover policy gives the requests after
/// it, not a 502: elsewhere and re-pinned under Redistribute, 503 under Return503Error. Backend 1 is a
/// raw backend that crashes (resets the connection) or refuses connections; backends 2 and 3 answer.
/// </summary>
public sealed class InFlightFailoverTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    public async Task AnIdempotentRequestWhoseBackendCrashesInFlightIsAnsweredElsewhereAndRePinned(string method)
    {
        await using var crashing = CrashingOnEveryRequest(out var seen);
        await using var healthy = RawBackend.Answering(Ok);
        await using var gateway = await StartAsync(crashing.Address, healthy.Address);
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(PinnedTo1(method));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(method == "HEAD" ? "" : "ok", await response.Content.ReadAsStringAsync());
        Assert.Matches("^server=[23]; path=/; samesite=lax; httponly$", Assert.Single(response.Headers.GetValues("Set-Cookie")));
        Assert.Equal(1, seen.CurrentCount);
        var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");
        Assert.Equal(1, stats!.Affinity.RePins);
        Assert.Equal(1, stats.Requests["1"]);
        Assert.Equal(1, stats.Requests.Where(r => r.Key != "1").Sum(r => r.Value));
        Assert.Contains(stats.Recent, s => s.Backends.TryGetValue("1", out var counts) && counts.Failed == 1);
        var backends = await gateway.Admin.GetFromJsonAsync<BackendInfo[]>("/api/backends");
        Assert.Equal("unhealthy", backends!.Single(b => b.Id == "1").Health);
    }

    [Theory]
    [InlineData("POST", "{\"item\":\"book\"}")]
    [InlineData("POST", null)]
    [InlineData("PUT", "{\"item\":\"book\"}")]
    public async Task ARequestTheBackendMayHaveActedOnStillGets502WhenItCrashesInFlight(string method, string? body)
    {
        await using var crashing = CrashingOnEveryRequest(out var seen);
        await using var healthy = RawBackend.Answering(Ok);
        await using var gateway = await StartAsync(crashing.Address, healthy.Address);
        using var client = gateway.CreateClient();
        using var request = PinnedTo1(method);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1, seen.CurrentCount);
        Assert.Equal(0, healthy.AcceptedConnections);
    }

    [Fact]
    public async Task ARequestWithABodyGoesElsewhereWholeWhenItsBackendRefusesTheConnection()
    {
        var refusing = RefusedAddress();
        var received = new TaskCompletionSource<RawRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var healthy = RawBackend.Start(async connection =>
        {
            while (await connection.ReadRequestAsync() is { } request)
            {
                received.TrySetResult(request);
                await connection.SendAsync(Ok);
            }
        });
        await using var gateway = await StartAsync(refusing, healthy.Address);
        using var client = gateway.CreateClient();
        using var request = PinnedTo1("POST");
        request.Content = new StringContent("{\"item\":\"book\"}", Encoding.UTF8, "application/json");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^server=[23];", Assert.Single(response.Headers.GetValues("Set-Cookie")));
        var forwarded = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("POST / HTTP/1.1", forwarded.RequestLine);
        Assert.Equal("{\"item\":\"book\"}", Encoding.UTF8.GetString(forwarded.Body));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task APinnedRequestWhoseBackendCrashesInFlightGets503UnderReturn503Error(string method)
    {
        await using var crashing = CrashingOnEveryRequest(out var seen);
        await using var healthy = RawBackend.Answering(Ok);
        await using var gateway = await StartAsync(crashing.Address, healthy.Address, "--failover", "Return503Error");
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(PinnedTo1(method));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Equal("1", problem!["backend"].ToString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(1, seen.CurrentCount);
        Assert.Equal(0, healthy.AcceptedConnections);
        var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");
        Assert.Equal((1, 0), (stats!.Affinity.Unavailable, stats.Affinity.RePins));
    }

    [Fact]
    public async Task ARequestIsSentElsewhereAtMostTwiceWhenEveryBackendCrashes()
    {
        await using var crashing = CrashingOnEveryRequest(out var seen);
        await using var gateway = await StartAsync(crashing.Address, crashing.Address);
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(PinnedTo1("GET"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(3, seen.CurrentCount);
    }

    [Fact]
    public async Task ARequestWhoseBackendCrashedInFlightWithNoBackendLeftGetsTheNoBackend503Problem()
    {
        await using var crashing = CrashingOnEveryRequest(out var seen);
        await using var healthy = RawBackend.Answering(Ok);
        // Backends 2 and 3 drain: they keep their own clients and take no new one, so nothing is left for this one.
        await using var gateway = await StartAsync(
            crashing.Address,
            healthy.Address,
            "--ReverseProxy:Clusters:backends:Destinations:2:Metadata:Drain", "true",
            "--ReverseProxy:Clusters:backends:Destinations:3:Metadata:Drain", "true");
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(PinnedTo1("GET"));

        // It went through the pipeline again, as the next request would: no backend can take it, and the answer says so.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.Contains("Retry-After"));
        Assert.Equal(1, seen.CurrentCount);
    }

    /// <summary>Destination 1 at <paramref name="first"/>, 2 and 3 at <paramref name="others"/>; no active health checks.</summary>
    private static Task<InProcessGateway> StartAsync(Uri first, Uri others, params string[] args) =>
        InProcessGateway.StartAsync(
        [
            "--spawn", "false",
            "--ReverseProxy:Clusters:backends:HealthCheck:Active:Enabled", "false",
            "--ReverseProxy:Clusters:backends:HealthCheck:Passive:ReactivationPeriod", "00:01:00",
            "--ReverseProxy:Clusters:backends:Destinations:1:Address", first.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:2:Address", others.ToString(),
            "--ReverseProxy:Clusters:backends:Destinations:3:Address", others.ToString(),
            .. args,
        ]);

    /// <summary>A backend that reads each request whole, then resets the connection without answering; counts the requests.</summary>
    private static RawBackend CrashingOnEveryRequest(out SemaphoreSlim seen)
    {
        var requests = new SemaphoreSlim(0);
        seen = requests;
        return RawBackend.Start(async connection =>
        {
            if (await connection.ReadRequestAsync() is not null)
            {
                requests.Release();
                connection.Crash();
            }
        });
    }

    private static HttpRequestMessage PinnedTo1(string method) =>
        new(new HttpMethod(method), "/") { Headers = { { "Cookie", "server=1" } } };

    private static Uri RefusedAddress()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop();
        return address;
    }
}
