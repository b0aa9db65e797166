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
                var first = Random.Shared.Next(Candidates.Low, Candidates.High - count);
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

    /// <summary>
    /// Where ports are looked for: below the kernel's ephemeral range. A port from that range that is
    /// free now can become the local end of some outgoing connection before its server binds it (a
    /// backend then fails to start with "address already in use"), however briefly it stays free.
    /// </summary>
    private static readonly (int Low, int High) Candidates = ChooseCandidates();

    private static (int Low, int High) ChooseCandidates()
    {
        const int Lowest = 10_000;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var ephemeralLow = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
            if (ephemeralLow - Lowest >= 5_000)
            {
                return (Lowest, ephemeralLow);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux, or no /proc: the range below is what Linux gives out by default.
        }

        return (Lowest, 32_768);
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
