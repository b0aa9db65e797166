using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The keep-alive connections to one destination. Idle connections sit in a fixed array of slots
/// taken and returned with interlocked operations, so renting one takes no lock and allocates
/// nothing; the set of open connections (for the activity-timeout sweep) is locked only when a
/// connection is opened or closed.
/// <para>
/// The slots are split into one lane per I/O thread. With inline socket completions a request runs on
/// the thread that read it, and a connection comes back on the thread that read its response (the
/// thread its socket is registered with). Renting from the current thread's lane first keeps both
/// sockets of a request on one thread, as an event-loop proxy does: no hand-off to another thread
/// between the request and its response.
/// </para>
/// </summary>
internal sealed class Http1ConnectionPool
{
    /// <summary>How many idle connections one destination keeps; more are closed when they come back.</summary>
    internal const int IdleSlots = 256;

    /// <summary>How many lanes the idle slots are split into, one per I/O thread.</summary>
    internal static readonly int Lanes = Math.Clamp(Environment.ProcessorCount, 1, 16);

    private static int s_nextLane;

    [ThreadStatic]
    private static int t_lane;

    private readonly Http1Connection?[] _idle = new Http1Connection?[IdleSlots];
    private readonly HashSet<Http1Connection> _open = [];
    private readonly long _idleTimeoutMs;

    private Http1ConnectionPool(string destination, EndPoint endPoint, string authority, string pathPrefix, TimeSpan idleTimeout)
    {
        Destination = destination;
        EndPoint = endPoint;
        HostHeader = Encoding.ASCII.GetBytes($"Host: {authority}\r\n");
        PathPrefix = pathPrefix;
        _idleTimeoutMs = (long)idleTimeout.TotalMilliseconds;
    }

    /// <summary>The destination prefix, as YARP names it.</summary>
    public string Destination { get; }

    public EndPoint EndPoint { get; }

    /// <summary>The <c>Host</c> header line every request to this destination carries.</summary>
    public byte[] HostHeader { get; }

    /// <summary>The destination's own path, put before every request's path ("" for none).</summary>
    public string PathPrefix { get; }

    /// <summary>Open connections, idle or busy.</summary>
    public int OpenCount
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// A pool for a plain http:// destination, or null when the destination needs what only YARP's
    /// forwarder does (https, a query in the prefix, a non-ASCII host).
    /// </summary>
    public static Http1ConnectionPool? TryCreate(string destination, TimeSpan idleTimeout)
    {
        if (!Uri.TryCreate(destination, UriKind.Absolute, out var uri)
            || uri.Scheme != Uri.UriSchemeHttp
            || uri.Query.Length > 0
            || !uri.UserInfo.Equals("", StringComparison.Ordinal)
            || !Ascii.IsValid(uri.Authority))
        {
            return null;
        }

        EndPoint endPoint = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address, uri.Port)
            : new DnsEndPoint(uri.Host, uri.Port);
        return new Http1ConnectionPool(destination, endPoint, uri.Authority, uri.AbsolutePath.TrimEnd('/'), idleTimeout);
    }

    /// <summary>
    /// An idle connection, from this thread's lane when it has one, or null when there is none. With
    /// <paramref name="checkAlive"/>, connections the backend has closed are passed over.
    /// </summary>
    public Http1Connection? RentIdle(bool checkAlive = false)
    {
        var slots = _idle;
        var start = LaneStart();
        for (var n = 0; n < slots.Length; n++)
        {
            var i = Slot(start, n);
            if (Volatile.Read(ref slots[i]) is null || Interlocked.Exchange(ref slots[i], null) is not { } connection)
            {
                continue;
            }

            if (Environment.TickCount64 - connection.IdleSince < _idleTimeoutMs && (!checkAlive || connection.LooksAlive()))
            {
                return connection;
            }

            Discard(connection);
        }

        return null;
    }

    /// <summary>The n-th slot from a lane's first one, wrapping around into the other lanes.</summary>
    private static int Slot(int start, int n) => start + n < IdleSlots ? start + n : start + n - IdleSlots;

    /// <summary>The first slot of the current thread's lane.</summary>
    private static int LaneStart()
    {
        var lane = t_lane;
        if (lane == 0)
        {
            lane = t_lane = (Interlocked.Increment(ref s_nextLane) - 1) % Lanes + 1;
        }

        return (lane - 1) * (IdleSlots / Lanes);
    }

    /// <summary>A new, not yet connected connection, tracked for the activity-timeout sweep.</summary>
    public Http1Connection Create()
    {
        var socket = EndPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        var connection = new Http1Connection(socket);
        lock (_open)
        {
            _open.Add(connection);
        }

        return connection;
    }

    public void Return(Http1Connection connection)
    {
        connection.Stop();
        connection.IdleSince = Environment.TickCount64;
        var slots = _idle;
        var start = LaneStart();
        for (var n = 0; n < slots.Length; n++)
        {
            var i = Slot(start, n);
            if (Volatile.Read(ref slots[i]) is null && Interlocked.CompareExchange(ref slots[i], connection, null) is null)
            {
                return;
            }
        }

        Discard(connection);
    }

    public void Discard(Http1Connection connection)
    {
        connection.Dispose();
        lock (_open)
        {
            _open.Remove(connection);
        }
    }

    /// <summary>Times out exchanges that made no progress, and closes connections idle too long.</summary>
    public void Sweep(long now)
    {
        Http1Connection[] open;
        lock (_open)
        {
            open = [.. _open];
        }

        foreach (var connection in open)
        {
            var deadline = connection.Deadline;
            if (deadline != 0 && now > deadline)
            {
                connection.TimeOut();
            }
        }

        var slots = _idle;
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is { } idle
                && now - idle.IdleSince >= _idleTimeoutMs
                && Interlocked.CompareExchange(ref slots[i], null, idle) == idle)
            {
                Discard(idle);
            }
        }
    }

    public void Close()
    {
        Http1Connection[] open;
        lock (_open)
        {
            open = [.. _open];
            _open.Clear();
        }

        Array.Clear(_idle);
        foreach (var connection in open)
        {
            connection.Dispose();
        }
    }
}
