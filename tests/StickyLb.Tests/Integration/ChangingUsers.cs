using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using StickyLb.BackendApp.Endpoints;

namespace StickyLb.Tests.Integration;

/// <summary>
/// Logged-in users who keep adding items to their carts, one request at a time each, about
/// <see cref="Pace"/> apart (a cart holds at most 100 items), until stopped, noting
/// when each 2xx acknowledged an item. Every other answer must be a 503 problem (the store is out), never
/// a 2xx for a change that was dropped: what a later read no longer shows is lost.
/// </summary>
internal sealed class ChangingUsers : IAsyncDisposable
{
    /// <summary>How long a user waits after each answer before the next change: about 10 changes a second each.</summary>
    public static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(100);

    private readonly IReadOnlyList<LoggedInUser> _users;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, List<(string Item, TimeSpan At)>> _acknowledged;
    private readonly List<TimeSpan> _failures = [];
    private readonly Task[] _loops;

    private ChangingUsers(IReadOnlyList<LoggedInUser> users)
    {
        _users = users;
        _acknowledged = users.ToDictionary(u => u.Name, _ => new List<(string, TimeSpan)>());
        _loops = users.Select(ChangeAsync).ToArray();
    }

    /// <summary>The time on the users' clock, on which their changes' acknowledgements are timed.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Starts every user changing.</summary>
    public static ChangingUsers Start(IReadOnlyList<LoggedInUser> users) => new(users);

    /// <summary>How many changes of <paramref name="user"/> a 2xx acknowledged so far.</summary>
    public int AcknowledgedCount(string user)
    {
        lock (_acknowledged)
        {
            return _acknowledged[user].Count;
        }
    }

    /// <summary>How many changes acknowledged after <paramref name="since"/>, by the user with the fewest.</summary>
    public int FewestAcknowledgedSince(TimeSpan since)
    {
        lock (_acknowledged)
        {
            return _acknowledged.Values.Min(items => items.Count(i => i.At > since));
        }
    }

    /// <summary>When a change was first refused (503) after <paramref name="since"/>, or null.</summary>
    public TimeSpan? FirstFailureSince(TimeSpan since)
    {
        lock (_acknowledged)
        {
            return _failures.Where(f => f > since).Select(f => (TimeSpan?)f).FirstOrDefault();
        }
    }

    /// <summary>Stops the users (each finishes the request it is making) and returns every acknowledged change.</summary>
    public async Task<IReadOnlyDictionary<string, List<(string Item, TimeSpan At)>>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        return _acknowledged;
    }

    /// <summary>
    /// Every acknowledged change a read of its user's cart no longer shows, with its age at <paramref name="killedAt"/>
    /// (negative: acknowledged after it).
    /// </summary>
    public async Task<List<(string User, string Item, TimeSpan BeforeKill)>> LostAsync(TimeSpan killedAt)
    {
        var acknowledged = await StopAsync();
        var lost = new List<(string, string, TimeSpan)>();
        foreach (var user in _users)
        {
            var whoAmI = await user.Client.WhoAmIAsync();
            Assert.Equal(user.Name, whoAmI.User);
            var cart = await user.Client.Http.GetFromJsonAsync<CartResponse>("/cart");
            lost.AddRange(acknowledged[user.Name].Where(a => !cart!.Items.Contains(a.Item)).Select(a => (user.Name, a.Item, killedAt - a.At)));
        }

        return lost;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task ChangeAsync(LoggedInUser user)
    {
        // Off the caller's thread: each user is its own loop.
        await Task.Yield();
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var item = $"{user.Name}-{i}";
            using var response = await user.Client.Http.PostAsJsonAsync("/cart/items", new { item }, CancellationToken.None);
            if (response.IsSuccessStatusCode)
            {
                var at = _clock.Elapsed;
                lock (_acknowledged)
                {
                    _acknowledged[user.Name].Add((item, at));
                }
            }
            else
            {
                var at = _clock.Elapsed;
                lock (_acknowledged)
                {
                    _failures.Add(at);
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            // A user's pace, not a wait for anything: a person clicking about ten times a second.
            await Task.Delay(Pace, CancellationToken.None);
        }
    }
}
