using System.Collections.Concurrent;
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
/// Redis mode on a store that survives losing a node: Redis Sentinel (a primary, a replica, three
/// sentinels), the primary killed while users work.
/// </summary>
[Collection(StoreProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    private const int Workers = 12;

    [SentinelFact]
    public async Task APrimaryKilledUnderLoadLosesNoSessionAndNoAcknowledgedWriteAndRequestsFailOnlyForSeconds()
    {
        await using var store = await SentinelStore.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Configuration);
        using var users = await LoggedInUser.LogInAsync(gateway, 30);
        var before = await gateway.Admin.GetFromJsonAsync<StoreStatus>("/api/store");
        foreach (var user in users)
        {
            using var added = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item = "before" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        // Workers add items to their own carts until the store has been failed over and every worker
        // has seen two seconds of answers since its last failure.
        var clock = Stopwatch.StartNew();
        var killed = new TaskCompletionSource<TimeSpan>();
        var failures = new ConcurrentBag<(TimeSpan At, HttpStatusCode Status, string? MediaType, TimeSpan Took)>();
        var acknowledged = users.Take(Workers).ToDictionary(u => u.Name, _ => new List<string> { "before" });
        // A request that failed may still have been written (the store answered, the answer was lost).
        var unknown = users.Take(Workers).ToDictionary(u => u.Name, _ => new HashSet<string>());
        var workers = users.Take(Workers).Select(user => Task.Run(async () =>
        {
            var lastFailure = TimeSpan.Zero;
            for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(40) && i < SessionEndpoints.MaxCartItems - 10; i++)
            {
                var item = $"{user.Name}-{i}";
                var sent = clock.Elapsed;
                using var response = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item });
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var cart = await response.Content.ReadFromJsonAsync<CartResponse>();
                    acknowledged[user.Name].Add(item);
                    // Never an empty session: the answer holds everything acknowledged before.
                    AssertHolds(acknowledged[user.Name], unknown[user.Name], cart!.Items);
                }
                else
                {
                    lastFailure = clock.Elapsed;
                    unknown[user.Name].Add(item);
                    failures.Add((sent, response.StatusCode, response.Content.Headers.ContentType?.MediaType, clock.Elapsed - sent));
                }

                if (killed.Task.IsCompleted && clock.Elapsed > killed.Task.Result + TimeSpan.FromSeconds(2) && clock.Elapsed - lastFailure > TimeSpan.FromSeconds(2)
                    && (await store.CurrentPrimaryAsync()) == store.Replica)
                {
                    return;
                }

                // The load's pace, real time on purpose: about five writes a second per worker, through the failover.
                await Task.Delay(200);
            }
        })).ToList();

        // The primary dies under load: once every worker has had a write acknowledged.
        await Eventually.TrueAsync(
            () => acknowledged.Values.All(items => items.Count > 1) || workers.Any(w => w.IsCompleted),
            TimeSpan.FromSeconds(30),
            () => $"not every worker had a write acknowledged before the kill: {string.Join(", ", acknowledged.Select(a => $"{a.Key} {a.Value.Count - 1}"))}.");
        store.KillPrimary();
        var killedAt = clock.Elapsed;
        killed.SetResult(killedAt);
        await Task.WhenAll(workers);

        var window = failures.IsEmpty ? TimeSpan.Zero : failures.Max(f => f.At + f.Took) - killedAt;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"primary killed at {killedAt.TotalSeconds:F2} s; {failures.Count} failed requests; the last failure ended {window.TotalSeconds:F2} s after the kill; {acknowledged.Values.Sum(a => a.Count)} writes acknowledged"));
        Assert.Equal(store.Replica, await store.CurrentPrimaryAsync());
        // The admin API names the sentinels, the service and the primary of the moment.
        var after = await gateway.Admin.GetFromJsonAsync<StoreStatus>("/api/store");
        Assert.Equal(("redis", "external", SentinelStore.ServiceName, true, SentinelStore.Endpoint(store.Primary)),
            (before!.Store, before.Kind, before.ServiceName, before.Answers, before.Primary));
        Assert.Equal(store.Sentinels.Select(SentinelStore.Endpoint), before.Endpoints);
        Assert.Equal((true, SentinelStore.Endpoint(store.Replica)), (after!.Answers, after.Primary));
        // A failure is the store-outage answer, never a 500 or a hang.
        Assert.All(failures, f =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, f.Status);
            Assert.Equal("application/problem+json", f.MediaType);
            // Not a timing test: about 2 s by the client settings (ENVIRONMENT.md), 2.64 s and 4.18 s seen on a
            // loaded CI machine; the bound only catches a hang, which with the client's defaults is 11-12 s.
            Assert.True(f.Took < TimeSpan.FromSeconds(7), $"A failed request took {f.Took}.");
        });
        Assert.True(window < TimeSpan.FromSeconds(10), $"Requests failed for {window} after the primary died.");

        // Every session written before the kill is there, and no acknowledged write is lost.
        foreach (var user in users)
        {
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            if (acknowledged.TryGetValue(user.Name, out var items))
            {
                AssertHolds(items, unknown[user.Name], cart!.Items);
            }
            else
            {
                Assert.Equal(["before"], cart!.Items);
            }

            Assert.Equal(user.Name, (await user.Client.WhoAmIAsync()).User);
        }

    }

    /// <summary>The cart holds every acknowledged item in order, and nothing else but items whose request failed.</summary>
    private static void AssertHolds(List<string> acknowledged, HashSet<string> unknown, IReadOnlyList<string> cart)
    {
        Assert.Equal(acknowledged, cart.Where(i => !unknown.Contains(i)));
    }
}
