using System.Net;
using System.Net.Sockets;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// Free loopback ports for runs that must not collide with anything (the comparison, tests). Ports
/// handed out are remembered, so that two runs in one process never get the same one.
/// </summary>
internal static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Taken = [];

    /// <summary>One free port.</summary>
    public static int Next() => Range(1);

    /// <summary>The first of <paramref name="count"/> consecutive free ports.</summary>
    public static int Range(int count)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var first = Random.Shared.Next(20_000, 60_000 - count);
                var ports = Enumerable.Range(first, count).ToArray();
                if (ports.All(p => !Taken.Contains(p) && IsFree(p)))
                {
                    Taken.UnionWith(ports);
                    return first;
                }
            }

            throw new InvalidOperationException($"No {count} consecutive free ports found.");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
