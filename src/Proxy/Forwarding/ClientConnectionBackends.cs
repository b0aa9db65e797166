using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// The HttpClients of one client connection: backend connections are never shared between client
/// connections, as HAProxy's <c>http-reuse never</c>. An HTTP/1.1 client cannot tell a response a backend
/// sends unasked (late, or beyond its framing) from the answer to the next request on that connection;
/// HttpClient drops a pooled connection found holding such bytes, but cannot win that race every time.
/// With a pool per client connection the next request on that backend connection is the same client's,
/// so whatever a backend sends, one user never receives another's response. The price: as many backend
/// connections as client connections, each closed with its client connection.
/// </summary>
internal sealed class ClientConnectionBackends : IDisposable
{
    private const string ItemKey = "StickyLb.ClientConnectionBackends";

    private readonly Lock _lock = new();

    // Almost always one cluster per connection: a pair of fields, and a dictionary only beyond it.
    private HttpMessageInvoker? _shared;
    private HttpMessageInvoker? _own;
    private Dictionary<HttpMessageInvoker, HttpMessageInvoker>? _more;
    private bool _disposed;

    /// <summary>Gives every connection <paramref name="listener"/> accepts its own backends, disposed when it closes.</summary>
    public static void Attach(ListenOptions listener) =>
        listener.Use(next => async connection =>
        {
            using var backends = new ClientConnectionBackends();
            connection.Items[ItemKey] = backends;
            await next(connection);
        });

    /// <summary>The backends of the connection <paramref name="context"/> came on, if it came on a listener that has them.</summary>
    public static ClientConnectionBackends? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var backends) == true
            ? backends as ClientConnectionBackends
            : null;

    /// <summary>
    /// This connection's counterpart of <paramref name="shared"/> (a cluster's HttpClient), made by
    /// <paramref name="create"/> on first use. <paramref name="shared"/> itself once the connection is closing.
    /// </summary>
    public HttpMessageInvoker ClientFor(HttpMessageInvoker shared, Func<HttpMessageInvoker> create)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return shared;
            }

            if (ReferenceEquals(_shared, shared))
            {
                return _own!;
            }

            if (_shared is null)
            {
                _shared = shared;
                return _own = create();
            }

            _more ??= [];
            if (!_more.TryGetValue(shared, out var own))
            {
                _more[shared] = own = create();
            }

            return own;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _own?.Dispose();
            foreach (var own in _more?.Values ?? Enumerable.Empty<HttpMessageInvoker>())
            {
                own.Dispose();
            }
        }
    }
}
