using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// Pin lifetimes with the real gateway and backends (<see cref="PinGatewayFixture"/>: max idle 2 s, max life 3 s): a
/// stale or old pin is placed afresh and counted, a pin whose times were edited is a miss, two gateways with the same
/// key read each other's cookies, and the key is never shown.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class PinLifetimeTests(ITestOutputHelper output, PinGatewayFixture fixture) : IClassFixture<PinGatewayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AnIdlePinAndAnOldPinArePlacedAfreshAndCounted()
    {
        var gateway = fixture.Gateway;
        var before = await StatsAsync(gateway);
        using var idle = gateway.NewUser();
        using var active = gateway.NewUser();
        await idle.WhoAmIAsync();
        var first = await active.WhoAmIAsync();
        var idlePin = PinOf(idle);
        var activePin = PinOf(active);

        // The active user makes a request every 200 ms until its pin is placed afresh for its age; the idle one makes
        // its next request once it has gone unused for longer than max idle.
        var served = new List<(WhoAmIResponse WhoAmI, Pin Pin)>();
        Pin? idleAfter = null;
        var clock = Stopwatch.StartNew();
        while (PinOf(active).Created == activePin.Created)
        {
            Assert.True(clock.Elapsed < Timeout, $"the active user's pin was never placed afresh: {string.Join(", ", served.Select(s => s.Pin))}");
            served.Add((await active.WhoAmIAsync(), PinOf(active)));
            if (idleAfter is null && clock.Elapsed > TimeSpan.FromSeconds(PinGatewayFixture.MaxIdle + 1))
            {
                await idle.WhoAmIAsync();
                idleAfter = PinOf(idle);
            }

            // The pace of a user's requests (well within max idle): a real-time behaviour, not a wait for an event.
            await Task.Delay(200);
        }

        if (idleAfter is null)
        {
            // A slow machine ended the loop first: the idle user has been away even longer.
            await idle.WhoAmIAsync();
            idleAfter = PinOf(idle);
        }

        var after = await StatsAsync(gateway);
        Assert.True(idleAfter.Created > idlePin.Created, $"the idle pin was kept: {idlePin} then {idleAfter}");
        var kept = served[..^1];
        // While young, the active pin held: same backend, same session, its last use refreshed in the cookie.
        Assert.All(kept, s => Assert.Equal((first.Backend, first.SessionId), (s.WhoAmI.Backend, s.WhoAmI.SessionId)));
        Assert.Equal(Enumerable.Range(first.Visits + 1, kept.Count), kept.Select(s => s.WhoAmI.Visits));
        Assert.Contains(kept, s => s.Pin.LastUsed > activePin.Created);
        Assert.True(served[^1].Pin.Created - activePin.Created > PinGatewayFixture.MaxLife, $"placed afresh too early: {activePin} then {served[^1].Pin}");
        Assert.Equal(2, after.Affinity.ExpiredPins - before.Affinity.ExpiredPins);
        Assert.Equal(4, after.Affinity.NewPins - before.Affinity.NewPins);
        Assert.Equal(before.Affinity.Misses, after.Affinity.Misses);
    }

    [Theory]
    [InlineData("created")]
    [InlineData("lastUsed")]
    [InlineData("none")]
    public async Task APinWithTamperedTimesIsIgnoredAndCountedAsAMiss(string edit)
    {
        var gateway = fixture.Gateway;
        using var user = gateway.NewUser();
        await user.WhoAmIAsync();
        var pin = PinOf(user);
        var forged = edit switch
        {
            // Born later, or used later, than the gateway said: either would keep the pin longer.
            "created" => pin with { Created = pin.Created + 60 },
            "lastUsed" => pin with { LastUsed = pin.LastUsed + 60 },
            _ => pin,
        };
        var cookie = edit == "none" ? $"server={pin.Id}" : $"server={forged}";
        var before = await StatsAsync(gateway);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.GatewayUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("Cookie", cookie);

        using var response = await client.SendAsync(request);

        var after = await StatsAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var backend = response.Headers.GetValues("X-Backend").Single();
        Assert.Matches($@"^server={backend}\.\d+\.\d+\.[A-Za-z0-9_-]{{43}}; path=/; samesite=lax; httponly$", Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("server=", StringComparison.Ordinal)));
        Assert.Equal(1, after.Affinity.Misses.Tampered - before.Affinity.Misses.Tampered);
        Assert.Equal((0L, 0L, 1L), (after.Affinity.Hits - before.Affinity.Hits, after.Affinity.ExpiredPins - before.Affinity.ExpiredPins, after.Affinity.NewPins - before.Affinity.NewPins));
    }

    [Fact]
    public async Task TwoGatewaysWithTheSameKeyAgreeOnACookieEitherOneIssued()
    {
        var first = fixture.Gateway;
        var destinations = (await first.GetBackendsAsync()).SelectMany(b => new[] { $"--ReverseProxy:Clusters:backends:Destinations:{b.Id}:Address", b.Address }).ToArray();
        await using var second = await GatewayProcess.StartAsync(output, PinGatewayFixture.KeyEnvironment, ["--spawn", "false", "--health-path", "/healthz", .. PinGatewayFixture.PinArgs, .. destinations]);
        var secondBefore = await StatsAsync(second);
        var firstBefore = await StatsAsync(first);

        var results = new List<(string Issuer, WhoAmIResponse There, WhoAmIResponse Elsewhere)>();
        foreach (var (issuer, other) in new[] { (first, second), (second, first) })
        {
            for (var i = 0; i < 3; i++)
            {
                using var user = issuer.NewUser();
                var there = await user.WhoAmIAsync();
                // The same browser, its cookies (the pin and the session) now sent to the other gateway.
                using var elsewhere = new UserClient(other.GatewayUrl);
                foreach (Cookie cookie in user.Cookies.GetCookies(issuer.GatewayUrl))
                {
                    elsewhere.Cookies.Add(other.GatewayUrl, new Cookie(cookie.Name, cookie.Value));
                }

                results.Add((issuer == first ? "first" : "second", there, await elsewhere.WhoAmIAsync()));
            }
        }

        var secondAfter = await StatsAsync(second);
        var firstAfter = await StatsAsync(first);
        Assert.All(results, r => Assert.Equal((r.There.Backend, r.There.SessionId, r.There.Visits + 1), (r.Elsewhere.Backend, r.Elsewhere.SessionId, r.Elsewhere.Visits)));
        Assert.Equal(3, secondAfter.Affinity.Hits - secondBefore.Affinity.Hits);
        Assert.Equal(3, firstAfter.Affinity.Hits - firstBefore.Affinity.Hits);
        Assert.Equal((secondBefore.Affinity.Misses, firstBefore.Affinity.Misses), (secondAfter.Affinity.Misses, firstAfter.Affinity.Misses));
    }

    [Fact]
    public async Task TheKeyIsNeverPrintedLoggedOrReturned()
    {
        var gateway = fixture.Gateway;
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.GatewayUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        // A miss, so that the affinity feature's debug log has something to say.
        request.Headers.Add("Cookie", "server=1");
        using var response = await client.SendAsync(request);

        var settings = await gateway.Admin.GetStringAsync("/api/settings");
        var stats = await gateway.Admin.GetStringAsync("/api/stats");
        var metrics = await gateway.Admin.GetStringAsync("/metrics");

        await gateway.WaitForLineAsync(l => l.Contains("Ignored a Tampered affinity cookie", StringComparison.Ordinal), Timeout);
        Assert.Contains($"\"pinMaxIdle\":{PinGatewayFixture.MaxIdle},\"pinMaxLife\":{PinGatewayFixture.MaxLife}", settings);
        Assert.Matches("stickylb_affinity_misses_total\\{[^}]*reason=\"tampered\"", metrics);
        Assert.Matches("stickylb_affinity_outcomes_total\\{[^}]*outcome=\"expired_pin\"", metrics);
        Assert.Contains("\"expiredPins\":", stats);
        foreach (var text in new[] { settings, stats, metrics, gateway.Output })
        {
            Assert.DoesNotContain(PinGatewayFixture.Key, text);
            Assert.DoesNotContain(PinGatewayFixture.Key[..12], text);
        }
    }

    [Fact]
    public void AnIdleLimitBelowTheSessionIdleTimeoutIsWarnedAboutAtStartUp()
    {
        var output = fixture.Gateway.Output;

        Assert.Contains(
            $"--pin-max-idle {PinGatewayFixture.MaxIdle} is shorter than the backends' session idle timeout (1200 s, --idle-timeout) in memory mode",
            output);
    }

    private static async Task<GatewayStats> StatsAsync(GatewayProcess gateway) =>
        (await gateway.Admin.GetFromJsonAsync<GatewayStats>("/api/stats"))!;

    private static Pin PinOf(UserClient user) => Pin.Parse(user.ServerCookie ?? throw new InvalidOperationException("The user has no server cookie."));

    /// <summary>A pin's cookie value: <c>id.created.lastUsed.mac</c>.</summary>
    private sealed record Pin(string Id, long Created, long LastUsed, string Mac)
    {
        public static Pin Parse(string value)
        {
            var parts = value.Split('.');
            Assert.Equal(4, parts.Length);
            return new Pin(parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), parts[3]);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id}.{Created}.{LastUsed}.{Mac}");
    }
}
