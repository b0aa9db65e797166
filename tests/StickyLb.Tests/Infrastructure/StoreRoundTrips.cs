using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// Records every command a StackExchange.Redis multiplexer sends (the client's profiling API) and counts them
/// in round trips: a command written before the answer to an earlier one came back travels in the same
/// round trip (a pipelined batch counts as one). The client's own heartbeat (<c>PING</c>, <c>ECHO</c>) is left out.
/// </summary>
internal sealed class StoreRoundTrips
{
    private ProfilingSession? _session;

    private StoreRoundTrips(IConnectionMultiplexer multiplexer) => multiplexer.RegisterProfiler(() => _session);

    /// <summary>Starts recording on <paramref name="multiplexer"/> (one recorder per multiplexer).</summary>
    public static StoreRoundTrips Attach(IConnectionMultiplexer multiplexer) => new(multiplexer);

    /// <summary>Records the commands <paramref name="action"/> causes.</summary>
    public async Task<Recorded> MeasureAsync(Func<Task> action)
    {
        var session = new ProfilingSession();
        _session = session;
        try
        {
            await action();
        }
        finally
        {
            _session = null;
        }

        var commands = session.FinishProfiling()
            .Where(c => c.Command is not ("PING" or "ECHO"))
            .OrderBy(Sent)
            .ToList();
        return new Recorded(commands, Count(commands));
    }

    private static int Count(List<IProfiledCommand> commands)
    {
        var trips = 0;
        var answeredAt = DateTime.MinValue;
        foreach (var command in commands)
        {
            if (trips == 0 || Sent(command) >= answeredAt)
            {
                trips++;
                answeredAt = Answered(command);
            }
            else if (Answered(command) < answeredAt)
            {
                answeredAt = Answered(command);
            }
        }

        return trips;
    }

    private static DateTime Sent(IProfiledCommand command) => command.CommandCreated + command.CreationToEnqueued + command.EnqueuedToSending;

    private static DateTime Answered(IProfiledCommand command) => Sent(command) + command.SentToResponse;

    /// <summary>The commands in the order they were sent, and how many round trips they took.</summary>
    internal sealed record Recorded(IReadOnlyList<IProfiledCommand> Commands, int RoundTrips)
    {
        public override string ToString() =>
            $"{RoundTrips} round trip(s): " + string.Join(", ", Commands.Select(c => c.Command));
    }
}
