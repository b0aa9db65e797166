using System.Diagnostics;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Simulation;

/// <summary>
/// The dashboard's "simulate users": N synthetic users who log in through the gateway and then visit
/// <c>/whoami</c> about twice a second, so that a person who kills a backend sees the sessions move
/// or vanish as it happens. A user who finds itself logged out counts a lost session and logs in again.
/// With a visit length, users also come and go: each logs out after its visit and a new visitor (a new
/// cookie jar) takes its place, which is how a draining backend empties.
/// </summary>
internal sealed class UserSimulation(GatewayListeners listeners, Microsoft.Extensions.Options.IOptions<GatewayOptions> options) : IAsyncDisposable
{
    /// <summary>The most users the dashboard may start.</summary>
    public const int MaxUsers = 500;

    /// <summary>The longest visit length, in seconds.</summary>
    public const int MaxVisitSeconds = 3600;

    private static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(500);

    /// <summary>How much longer the users who are not the active ones think between requests, when one backend's users are.</summary>
    private const int IdleFactor = 8;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<HttpMessageInvoker> _http = new(() => SimulatedUser.CreateSharedClient(listeners.Certificate));
    private CancellationTokenSource? _running;
    private Task _users = Task.CompletedTask;
    private SimulatedUser[] _simulated = [];
    private long _requests;
    private long _failed;
    private long _lost;
    private long _visitsEnded;
    private int _visitSeconds;
    private string? _activeBackend;

    public SimulationStatus Status
    {
        get
        {
            var users = Volatile.Read(ref _simulated);
            return new SimulationStatus(
                users.Length,
                users.Count(u => u.LoggedIn),
                users.Where(u => u.Backend is not null).GroupBy(u => u.Backend!).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
                Interlocked.Read(ref _requests),
                Interlocked.Read(ref _failed),
                Interlocked.Read(ref _lost),
                Volatile.Read(ref _visitSeconds),
                Interlocked.Read(ref _visitsEnded),
                Volatile.Read(ref _activeBackend));
        }
    }

    /// <summary>
    /// Stops the users running now and starts <paramref name="users"/> new ones (0: just stop), whose
    /// visits last about <paramref name="visitSeconds"/> (0: forever). With <paramref name="activeBackend"/>,
    /// the seeds' skew: only the users pinned to that backend (without affinity, the same share of the
    /// users, <see cref="ActiveShare"/>) keep their pace; the others think eight times as long between requests.
    /// </summary>
    public async Task SetUsersAsync(int users, int visitSeconds = 0, ActiveShare? activeBackend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(users, MaxUsers);
        ArgumentOutOfRangeException.ThrowIfNegative(visitSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visitSeconds, MaxVisitSeconds);
        await _gate.WaitAsync();
        try
        {
            await StopAsync();
            Interlocked.Exchange(ref _requests, 0);
            Interlocked.Exchange(ref _failed, 0);
            Interlocked.Exchange(ref _lost, 0);
            Interlocked.Exchange(ref _visitsEnded, 0);
            Volatile.Write(ref _visitSeconds, visitSeconds);
            Volatile.Write(ref _activeBackend, activeBackend?.Backend);
            var gateway = listeners.LocalGatewayUrl;
            var simulated = Enumerable.Range(1, users).Select(i => new SimulatedUser($"sim{i}", _http.Value, gateway)).ToArray();
            Volatile.Write(ref _simulated, simulated);
            if (users > 0)
            {
                _running = new CancellationTokenSource();
                var token = _running.Token;
                var visit = TimeSpan.FromSeconds(visitSeconds);
                _users = Task.WhenAll(simulated.Select((user, i) => Task.Run(() => LiveAsync(user, visit, IsActive(i, activeBackend), token), CancellationToken.None)));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether the user is one of the active ones: all of them unless the users first pinned to one backend are.</summary>
    private Func<SimulatedUser, bool> IsActive(int index, ActiveShare? activeBackend)
    {
        if (activeBackend is null)
        {
            return _ => true;
        }

        if (options.Value.IsAffinityOn)
        {
            // The users first pinned to that backend, wherever they are moved later: with --rebalance the busy users
            // are spread over the backends and stay busy, as real ones would.
            return user => user.FirstBackend == activeBackend.Backend;
        }

        var active = activeBackend.Holds(index);
        return _ => active;
    }

    private async Task LiveAsync(SimulatedUser user, TimeSpan visit, Func<SimulatedUser, bool> isActive, CancellationToken cancellationToken)
    {
        try
        {
            Count(await user.LoginAsync(cancellationToken));
            var leaveAt = NextLeave(visit);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (Stopwatch.GetTimestamp() >= leaveAt)
                {
                    // The visit is over: this user logs out and goes; a new visitor arrives in its place.
                    Count(await user.LeaveAsync(cancellationToken));
                    Interlocked.Increment(ref _visitsEnded);
                    Count(await user.LoginAsync(cancellationToken));
                    leaveAt = NextLeave(visit);
                }

                var think = ThinkTime + TimeSpan.FromMilliseconds(Random.Shared.Next(100));
                await Task.Delay(isActive(user) ? think : think * IdleFactor, cancellationToken);
                var wasLoggedIn = user.LoggedIn;
                var reply = await user.WhoAmIAsync(cancellationToken);
                Count(reply);
                if (reply.IsSuccess && !user.LoggedIn)
                {
                    if (wasLoggedIn)
                    {
                        Interlocked.Increment(ref _lost);
                    }

                    Count(await user.LoginAsync(cancellationToken));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>When a visit that starts now ends: 0.5-1.5 times <paramref name="visit"/> from now, or never.</summary>
    private static long NextLeave(TimeSpan visit) =>
        visit == TimeSpan.Zero ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(visit.TotalSeconds * (0.5 + Random.Shared.NextDouble()) * Stopwatch.Frequency);

    private void Count(UserReply reply)
    {
        Interlocked.Increment(ref _requests);
        if (reply.IsFailure)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    private async Task StopAsync()
    {
        if (_running is null)
        {
            return;
        }

        await _running.CancelAsync();
        await _users;
        _running.Dispose();
        _running = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopAsync();
        }
        finally
        {
            _gate.Release();
        }

        if (_http.IsValueCreated)
        {
            _http.Value.Dispose();
        }

        _gate.Dispose();
    }
}
