using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;

namespace StickyLb.BackendApp.Sessions;

/// <summary>
/// Counts the sessions this backend has served within the idle timeout: the number the dashboard
/// shows as "sessions" for a backend. In memory mode that is what dies with the process.
/// </summary>
internal sealed class SessionTracker(IOptions<BackendOptions> options, TimeProvider timeProvider) : ISessionCount
{
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly TimeSpan _idleTimeout = options.Value.IdleTimeout;

    public void Touch(string sessionId) => _lastSeen[sessionId] = timeProvider.GetTimestamp();

    public ValueTask<int> CountAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetTimestamp();
        foreach (var (id, seen) in _lastSeen)
        {
            if (timeProvider.GetElapsedTime(seen, now) > _idleTimeout)
            {
                _lastSeen.TryRemove(new KeyValuePair<string, long>(id, seen));
            }
        }

        return ValueTask.FromResult(_lastSeen.Count);
    }
}
