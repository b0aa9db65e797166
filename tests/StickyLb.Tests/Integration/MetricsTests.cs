using System.Globalization;
using System.Net.Http.Json;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary><c>GET /metrics</c> on the admin port, scraped as Prometheus would, with the real gateway and backends.</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class MetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MetricsAreOnTheAdminPortOnlyAndMoveWithTrafficOnTheSameCountersAsTheStats()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var users = await LoggedInUser.LogInAsync(gateway, 6);
        using (var stranger = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.GatewayUrl })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", "server=9" } } };
            using var response = await stranger.SendAsync(request);
        }

        // The backend most users landed on: it holds sessions, and it is the one drained.
        var target = users.GroupBy(u => u.Backend).MaxBy(g => g.Count())!.Key;
        using var drain = await gateway.Admin.PostAsync($"/api/backends/{target}/drain", null);
        // Sessions are sampled from the backends every two seconds.
        // What the backend itself says, through the admin API (the stranger above has a session too).
        var onTarget = (await gateway.GetBackendsAsync()).Single(b => b.Id == target).Sessions;
        var first = await ScrapeUntilAsync(gateway, m => m.GetValueOrDefault(Key("stickylb_backend_sessions", ("backend", target))) == onTarget);
        var stats = await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats");
        foreach (var user in users)
        {
            await user.Client.WhoAmIAsync();
        }

        var second = await ScrapeUntilAsync(gateway, m => m[Key("stickylb_affinity_outcomes_total", ("outcome", "hit"))] > first[Key("stickylb_affinity_outcomes_total", ("outcome", "hit"))]);
        using var throughGateway = await new HttpClient().GetAsync(new Uri(gateway.GatewayUrl, "/metrics"));
        var gatewayBody = await throughGateway.Content.ReadAsStringAsync();

        // The same counters as /api/stats: one set, not two.
        Assert.Equal(stats!.Affinity.NewPins, first[Key("stickylb_affinity_outcomes_total", ("outcome", "new_pin"))]);
        Assert.Equal(7, stats.Affinity.NewPins);
        Assert.Equal((0, stats.Affinity.Rebalanced), (first[Key("stickylb_affinity_outcomes_total", ("outcome", "rebalanced"))], (double)stats.Affinity.Rebalanced));
        Assert.Equal(1, first[Key("stickylb_affinity_misses_total", ("reason", "unknown"))]);
        Assert.Equal(1, first[Key("stickylb_backend_state", ("backend", target), ("state", "draining"))]);
        Assert.Equal(1, first[Key("stickylb_backend_healthy", ("backend", "1"))]);
        Assert.Equal(onTarget, first[Key("stickylb_backend_sessions", ("backend", target))]);
        Assert.InRange(onTarget, users.Count(u => u.Backend == target), users.Count(u => u.Backend == target) + 1);
        // They move with traffic: six more hits, six more answered requests.
        Assert.Equal(first[Key("stickylb_affinity_outcomes_total", ("outcome", "hit"))] + 6, second[Key("stickylb_affinity_outcomes_total", ("outcome", "hit"))]);
        Assert.Equal(RequestsOk(first) + 6, RequestsOk(second));
        Assert.DoesNotContain("stickylb_", gatewayBody, StringComparison.Ordinal);
    }

    private static double RequestsOk(Dictionary<string, double> metrics) =>
        metrics.Where(m => m.Key.StartsWith("stickylb_backend_requests_total{", StringComparison.Ordinal) && m.Key.Contains("outcome=\"ok\"", StringComparison.Ordinal)).Sum(m => m.Value);

    /// <summary>A series as <see cref="ParsePrometheusText"/> names it: the metric and its labels but the scope's, sorted.</summary>
    private static string Key(string name, params (string Label, string Value)[] labels) =>
        name + "{" + string.Join(',', labels.OrderBy(l => l.Label, StringComparer.Ordinal).Select(l => $"{l.Label}=\"{l.Value}\"")) + "}";

    private static async Task<Dictionary<string, double>> ScrapeUntilAsync(GatewayProcess gateway, Func<Dictionary<string, double>, bool> condition) =>
        (await Eventually.TryAsync(
            async () =>
            {
                using var response = await gateway.Admin.GetAsync("/metrics");
                response.EnsureSuccessStatusCode();
                Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
                return ParsePrometheusText(await response.Content.ReadAsStringAsync());
            },
            condition,
            TimeSpan.FromSeconds(10),
            interval: TimeSpan.FromMilliseconds(50))).Last;

    /// <summary>Prometheus text exposition (version 0.0.4): one sample per line, <c>name{label="value",...} number</c>.</summary>
    private static Dictionary<string, double> ParsePrometheusText(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            var series = line[..space];
            var brace = series.IndexOf('{');
            var name = brace < 0 ? series : series[..brace];
            var labels = brace < 0 ? [] : series[(brace + 1)..^1].Split(',')
                .Select(l => l.Split('=', 2))
                .Where(l => l[0] != "otel_scope_name")
                .Select(l => (l[0], l[1].Trim('"')))
                .ToArray();
            samples[Key(name, labels)] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return samples;
    }
}
