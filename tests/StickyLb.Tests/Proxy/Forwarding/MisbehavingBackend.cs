using System.Collections.Concurrent;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// A <see cref="RawBackend"/> that answers every request with its own path (<see cref="Misbehaviour.Echo"/>),
/// so that a client can tell its own response from anyone else's, except a request for
/// <c>/bad/{misbehaviour}/...</c>, which gets that misbehaviour's bytes. A connection stays open for
/// as long as the gateway keeps it. It tells when it has written a misbehaviour's late bytes, so that a
/// test waits for them instead of guessing how long they take.
/// </summary>
internal sealed class MisbehavingBackend : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _lateBytes = new();
    private readonly RawBackend _backend;
    private int _lateBytesWritten;

    private MisbehavingBackend() => _backend = RawBackend.Start(AnswerAsync);

    /// <summary>The destination address to give the gateway.</summary>
    public Uri Address => _backend.Address;

    /// <summary>How many TCP connections the backend has accepted so far.</summary>
    public int AcceptedConnections => _backend.AcceptedConnections;

    /// <summary>How many times the backend has written a misbehaviour's late bytes to a connection.</summary>
    public int LateBytesWritten => Volatile.Read(ref _lateBytesWritten);

    public static MisbehavingBackend Start() => new();

    /// <summary>
    /// Completes once the backend has written the late bytes of its answer to <paramref name="path"/> on the connection
    /// (handed to the kernel: on loopback, in the gateway's receive buffer); faults if writing them failed.
    /// </summary>
    public Task LateBytesWrittenAsync(string path) => LateBytes(path).Task;

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    private TaskCompletionSource LateBytes(string path) =>
        _lateBytes.GetOrAdd(path, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task AnswerAsync(RawConnection connection)
    {
        while (await connection.ReadHeadAsync() is { } head)
        {
            var path = head.Split(' ', 3)[1];
            var misbehaviour = Misbehaviour.All.FirstOrDefault(m => path.StartsWith($"/bad/{m.Name}/", StringComparison.Ordinal));
            if (misbehaviour is { AnswersBeforeBody: true })
            {
                await connection.SendAsync(misbehaviour.Response(path));
                await connection.ReadBodyAsync(head);
                continue;
            }

            await connection.ReadBodyAsync(head);
            await connection.SendAsync(misbehaviour is null ? Misbehaviour.Echo(path) : misbehaviour.Response(path));
            if (misbehaviour?.Later is { } later)
            {
                var written = LateBytes(path);
                try
                {
                    // Real time on purpose: the late bytes must arrive once the answer is done and the connection
                    // idle in the gateway's pool, as a backend's unasked answer does.
                    await Task.Delay(Misbehaviour.LaterDelay, connection.Stopping);
                    await connection.SendAsync(later);
                    Interlocked.Increment(ref _lateBytesWritten);
                    written.TrySetResult();
                }
                catch (Exception ex)
                {
                    written.TrySetException(ex);
                    throw;
                }
            }
        }
    }
}
