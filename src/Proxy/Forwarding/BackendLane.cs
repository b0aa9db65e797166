namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// One backend connection, as HttpClient keeps it: an HttpClient of its own (made by YARP's factory with its
/// cluster's settings), lent by its <see cref="BackendLanePool"/> to one request at a time, so that it never
/// holds more than one connection to its backend. Whose request it carried last decides who may use it next.
/// </summary>
internal sealed class BackendLane : IDisposable
{
    private readonly Func<BackendLane, HttpMessageInvoker> _create;
    private UnaskedBytesStream? _connection;

    public BackendLane(BackendLanePool pool, Func<BackendLane, HttpMessageInvoker> create)
    {
        Pool = pool;
        _create = create;
        Node = new LinkedListNode<BackendLane>(this);
        Invoker = create(this);
    }

    public BackendLanePool Pool { get; }

    /// <summary>The lane's HttpClient, for YARP's forwarder.</summary>
    public HttpMessageInvoker Invoker { get; private set; }

    // The pool's bookkeeping, under its lock.
    internal LinkedListNode<BackendLane> Node { get; }

    internal ClientConnectionBackends? Owner { get; set; }

    internal bool Leased { get; set; }

    internal long ReleasedAt { get; set; }

    internal bool IsDisposed { get; private set; }

    /// <summary>
    /// The plaintext stream of a connection the lane's HttpClient just opened, watched when it speaks HTTP/1.x
    /// (an HTTP/2 or HTTP/3 answer is framed per stream: nothing unasked can pass as another's).
    /// </summary>
    public Stream Watch(Stream plaintext, Version negotiated)
    {
        if (negotiated.Major != 1)
        {
            return plaintext;
        }

        var watched = new UnaskedBytesStream(plaintext, this);
        Volatile.Write(ref _connection, watched);
        return watched;
    }

    /// <summary>The request the lane carried has been answered; anything that now arrives before the next one is unasked.</summary>
    public void RequestCompleted() => Volatile.Read(ref _connection)?.ExpectNothing();

    /// <summary>A new HttpClient in place of the old one, whose connection closes: the lane changes hands without its connection.</summary>
    internal void Recycle()
    {
        Invoker.Dispose();
        Volatile.Write(ref _connection, null);
        Invoker = _create(this);
    }

    public void Dispose()
    {
        IsDisposed = true;
        Invoker.Dispose();
    }
}
