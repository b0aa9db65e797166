using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Simulation;

/// <summary>
/// The dashboard's "simulate users": N synthetic users who log in through the gateway and then visit
/// <c>/whoami</c> about twice a second, so that a person who kills a backend sees the sessions move
/// or vanish as it happens. A user who finds itself logged out counts a lost session and logs in again.
/// </summary>
public sealed class UserSimulation(GatewayListeners listeners) : IAsyncDisposable
{
    /// <summary>The most users the dashboard may start.</summary>
    public const int MaxUsers = 500;

    private static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HttpMessageInvoker _http = SimulatedUser.CreateSharedClient();
    private CancellationTokenSource? _running;
    private Task _users = Task.CompletedTask;
    private SimulatedUser[] _simulated = [];
    private long _requests;
    private long _failed;
    private long _lost;

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
                Interlocked.Read(ref _lost));
        }
    }

    /// <summary>Stops the users running now and starts <paramref name="users"/> new ones (0: just stop).</summary>
    public async Task SetUsersAsync(int users)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(users, MaxUsers);
        await _gate.WaitAsync();
        try
        {
            await StopAsync();
            Interlocked.Exchange(ref _requests, 0);
            Interlocked.Exchange(ref _failed, 0);
            Interlocked.Exchange(ref _lost, 0);
            var gateway = listeners.GatewayUrl;
            var simulated = Enumerable.Range(1, users).Select(i => new SimulatedUser($"sim{i}", _http, gateway)).ToArray();
            Volatile.Write(ref _simulated, simulated);
            if (users > 0)
            {
                _running = new CancellationTokenSource();
                var token = _running.Token;
                _users = Task.WhenAll(simulated.Select(user => Task.Run(() => LiveAsync(user, token), CancellationToken.None)));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LiveAsync(SimulatedUser user, CancellationToken cancellationToken)
    {
        try
        {
            Count(await user.LoginAsync(cancellationToken));
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(ThinkTime + TimeSpan.FromMilliseconds(Random.Shared.Next(100)), cancellationToken);
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

        _http.Dispose();
        _gate.Dispose();
    }
}
