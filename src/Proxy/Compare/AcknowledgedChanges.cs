using System.Collections.Concurrent;
using StickyLb.Proxy.Simulation;

namespace StickyLb.Proxy.Compare;

/// <summary>
/// The cart changes a 2xx acknowledged, per simulated user, and how many of them a later read of the cart no
/// longer shows: what a setup lost that it had promised to keep.
/// </summary>
internal sealed class AcknowledgedChanges
{
    private readonly ConcurrentDictionary<SimulatedUser, ConcurrentQueue<string>> _byUser = new();
    private int _count;

    /// <summary>Every change acknowledged so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Notes <paramref name="item"/> as acknowledged when <paramref name="reply"/> is a 2xx.</summary>
    public void Note(SimulatedUser user, string item, UserReply reply)
    {
        if (!reply.IsSuccess)
        {
            return;
        }

        _byUser.GetOrAdd(user, _ => new ConcurrentQueue<string>()).Enqueue(item);
        Interlocked.Increment(ref _count);
    }

    /// <summary>How many of <paramref name="user"/>'s acknowledged changes <paramref name="cart"/> (a read of its cart) does not show; a failed read shows none.</summary>
    public int LostBy(SimulatedUser user, UserReply cart)
    {
        if (!_byUser.TryGetValue(user, out var acknowledged))
        {
            return 0;
        }

        var shown = cart.IsSuccess ? cart.Texts("items").ToHashSet(StringComparer.Ordinal) : [];
        return acknowledged.Count(item => !shown.Contains(item));
    }
}
