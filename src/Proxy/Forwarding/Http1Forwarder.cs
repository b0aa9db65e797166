using System.Buffers;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// YARP's forwarding step, with a short path for the requests a sticky web farm mostly carries:
/// plain HTTP/1.x requests (no body, or a body of known length) on a route without transforms, to an
/// http:// destination. Those go over <see cref="Http1ConnectionPool"/>'s keep-alive connections,
/// with exactly what YARP's forwarder and its default transforms would send and return; everything
/// else, and every request when <see cref="ForwarderMode.Yarp"/> is chosen, goes to YARP's own
/// forwarder. Errors are reported as YARP reports them (status code and
/// <see cref="IForwarderErrorFeature"/>), so passive health and the dashboard see no difference.
/// </summary>
internal sealed class Http1Forwarder(
    IHttpForwarder yarp,
    Http1ConnectionPools pools,
    IEnumerable<ISessionAffinityPolicy> affinityPolicies,
    IOptions<GatewayOptions> options,
    InFlightFailover inFlightFailover,
    ILogger<Http1Forwarder> logger) : IHttpForwarder
{
    /// <summary>How many times a request is sent to another backend after the one it was on died.</summary>
    internal const int MaxResends = 2;

    private readonly FrozenDictionary<string, ISessionAffinityPolicy> _affinityPolicies =
        affinityPolicies.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToFrozenDictionary(g => g.Key, g => g.Last(), StringComparer.OrdinalIgnoreCase);

    /// <summary>YARP's activity timeout when a cluster sets none.</summary>
    internal static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    private readonly bool _enabled = options.Value.Forwarder == ForwarderMode.Http1;

    /// <summary>Whether a destination is one this forwarder sends to (http://), for a request that must move.</summary>
    private readonly Func<DestinationState, bool> _hasPool = destination => pools.Get(destination.Model.Config.Address) is not null;

    public ValueTask<ForwarderError> SendAsync(
        HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
        SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, CancellationToken.None);

    public ValueTask<ForwarderError> SendAsync(
        HttpContext context,
        string destinationPrefix,
        HttpMessageInvoker httpClient,
        ForwarderRequestConfig requestConfig,
        HttpTransformer transformer,
        CancellationToken cancellationToken)
    {
        if (!_enabled
            || !IsPlain(context, requestConfig, transformer, out var proxy, out var bodyLength)
            || !HasAffinityPolicy(proxy)
            || pools.Get(destinationPrefix) is not { } pool)
        {
            return yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, cancellationToken);
        }

        return ForwardAsync(context, proxy, pool, requestConfig.ActivityTimeout ?? DefaultActivityTimeout, bodyLength, cancellationToken);
    }

    /// <summary>Whether this request is one the HTTP/1.1 path forwards exactly as YARP would.</summary>
    private static bool IsPlain(
        HttpContext context, ForwarderRequestConfig requestConfig, HttpTransformer transformer, [NotNullWhen(true)] out IReverseProxyFeature? proxy, out long bodyLength)
    {
        proxy = null;
        var request = context.Request;
        var headers = request.Headers;
        bodyLength = request.ContentLength ?? 0;
        if (!(HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol))
            || headers.TransferEncoding.Count != 0
            || headers.Expect.Count != 0
            || headers.Upgrade.Count != 0
            || bodyLength < 0)
        {
            return false;
        }

        // HTTP/2 to the backend only when a cluster asks for it in a way HttpClient would honour on http://.
        if (requestConfig.Version is { Major: >= 2 } && requestConfig.VersionPolicy is not (null or HttpVersionPolicy.RequestVersionOrLower))
        {
            return false;
        }

        // Only from YARP's pipeline, for a route that has YARP's default transforms and a cluster with
        // HttpClient's default settings: then what YARP would send is known.
        proxy = context.Features.Get<IReverseProxyFeature>();
        if (proxy is null
            || !ReferenceEquals(proxy.Route.Transformer, transformer)
            || proxy.Route.Config.Transforms is { Count: > 0 })
        {
            return false;
        }

        var httpClient = proxy.Cluster?.Config.HttpClient;
        return httpClient is null || HttpClientConfig.Empty.Equals(httpClient);
    }

    /// <summary>Whether the cluster's session affinity, if any, uses a policy this gateway has.</summary>
    private bool HasAffinityPolicy(IReverseProxyFeature proxy) =>
        proxy.Cluster.Config.SessionAffinity is not { Enabled: true } affinity
        || (affinity.Policy is { } name && _affinityPolicies.ContainsKey(name));

    /// <summary>
    /// What YARP's affinity response transform does once the backend's headers are copied: let the
    /// cluster's policy pin the client to the destination that answered (our <c>server=N</c> cookie).
    /// </summary>
    private void Affinitize(HttpContext context, IReverseProxyFeature proxy)
    {
        if (proxy.Cluster.Config.SessionAffinity is { Enabled: true, Policy: { } name } affinity
            && proxy.ProxiedDestination is { } destination
            && proxy.Route.Cluster is { } cluster)
        {
            _affinityPolicies[name].AffinitizeResponse(context, cluster, affinity, destination);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(
        HttpContext context, IReverseProxyFeature proxy, Http1ConnectionPool pool, TimeSpan activityTimeout, long bodyLength, CancellationToken cancellationToken)
    {
        var head = Http1RequestHead.Write(context, pool, out var headLength);
        Http1Connection? connection = null;
        // Whether the request may have reached a backend, and how often it was sent elsewhere after one died.
        var sent = false;
        var resent = 0;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                // A request without a body is sent again if a reused connection turns out closed; one with
                // a body cannot be, so its connection is checked first.
                connection = (attempt == 0 ? pool.RentIdle(checkAlive: bodyLength > 0) : null) ?? pool.Create();
                connection.Start(activityTimeout);
                var aborted = context.RequestAborted.UnsafeRegister(static c => ((Http1Connection)c!).Abort(), connection);
                var canceled = cancellationToken.UnsafeRegister(static c => ((Http1Connection)c!).Abort(), connection);
                var answered = false;
                try
                {
                    var reused = connection.Used;
                    if (!reused)
                    {
                        await ConnectAsync(connection, pool);
                    }

                    sent = true;
                    await connection.SendRequestAsync(context, head.AsMemory(0, headLength), bodyLength);

                    // A request without a body that met a closed keep-alive connection can be sent again.
                    var canRetry = reused && bodyLength == 0;
                    Http1ResponseFraming framing;
                    while (!connection.TryTakeResponseHead(context, ref canRetry, out framing))
                    {
                        int received;
                        try
                        {
                            received = await connection.ReceiveAsync();
                        }
                        catch (Exception ex)
                        {
                            throw new ForwardingFailure(ForwarderError.Request, "Reading the response failed.", ex, canRetry);
                        }

                        connection.Received(received, ref canRetry);
                        answered = true;
                    }

                    // The head is copied to the response: from here on the request cannot move.
                    answered = true;
                    Affinitize(context, proxy);
                    var keepAlive = await connection.CopyBodyAsync(context, framing);

                    // Unhooked from the client before the connection can serve anyone else.
                    aborted.Dispose();
                    canceled.Dispose();
                    if (keepAlive && !connection.Closed)
                    {
                        pool.Return(connection);
                    }
                    else
                    {
                        pool.Discard(connection);
                    }

                    return ForwarderError.None;
                }
                catch (ForwardingFailure failure) when (failure.CanRetry && attempt == 0 && !connection.TimedOut && !IsCanceled(context, cancellationToken))
                {
                    aborted.Dispose();
                    canceled.Dispose();
                    // The backend closed a keep-alive connection as the request went out: it never saw it.
                    pool.Discard(connection);
                    logger.RetryingOnNewConnection(pool.Destination);
                }
                catch (ForwardingFailure failure) when (!answered && failure.Error == ForwarderError.Request && resent < MaxResends
                    && !connection.TimedOut && !IsCanceled(context, cancellationToken) && !context.Response.HasStarted)
                {
                    aborted.Dispose();
                    canceled.Dispose();
                    // The backend died with the request in flight (or refused it): the failover policy decides.
                    var replayable = !sent || (bodyLength == 0 && InFlightFailover.IsIdempotent(context.Request.Method));
                    switch (inFlightFailover.Decide(context, proxy, replayable, _hasPool))
                    {
                        case InFlightOutcome.Resend when pools.Get(proxy.ProxiedDestination!.Model.Config.Address) is { } next:
                            pool.Discard(connection);
                            ArrayPool<byte>.Shared.Return(head);
                            pool = next;
                            head = Http1RequestHead.Write(context, pool, out headLength);
                            sent = false;
                            resent++;
                            attempt = -1;
                            break;
                        case InFlightOutcome.Reject:
                            Record(context, pool, connection, failure, ForwarderError.Request);
                            await BackendUnavailableResponse.WriteAsync(context, proxy.ProxiedDestination!.DestinationId);
                            return ForwarderError.Request;
                        default:
                            throw;
                    }
                }
                catch (ForwardingFailure)
                {
                    aborted.Dispose();
                    canceled.Dispose();
                    throw;
                }
            }
        }
        catch (ForwardingFailure failure)
        {
            return Fail(context, proxy, pool, connection!, failure, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    private static bool IsCanceled(HttpContext context, CancellationToken cancellationToken) =>
        context.RequestAborted.IsCancellationRequested || cancellationToken.IsCancellationRequested;

    private static async ValueTask ConnectAsync(Http1Connection connection, Http1ConnectionPool pool)
    {
        try
        {
            await connection.ConnectAsync(pool.EndPoint);
        }
        catch (Exception ex)
        {
            throw new ForwardingFailure(ForwarderError.Request, $"Connecting to {pool.Destination} failed.", ex);
        }
    }

    private ForwarderError Fail(HttpContext context, IReverseProxyFeature proxy, Http1ConnectionPool pool, Http1Connection connection, ForwardingFailure failure, CancellationToken cancellationToken)
    {
        var response = context.Response;
        var error = (connection.TimedOut, IsCanceled(context, cancellationToken), response.HasStarted) switch
        {
            (true, _, false) => ForwarderError.RequestTimedOut,
            (true, _, true) => ForwarderError.ResponseBodyDestination,
            (false, true, false) => ForwarderError.RequestCanceled,
            (false, true, true) => ForwarderError.ResponseBodyClient,
            _ => failure.Error,
        };

        Record(context, pool, connection, failure, error);
        if (response.HasStarted)
        {
            // Part of the response is on its way: the client must see it cut short, not complete.
            context.Abort();
        }
        else
        {
            // YARP runs its response transforms on a failed request too: the affinity cookie is set as it would be.
            Affinitize(context, proxy);
            response.StatusCode = error switch
            {
                ForwarderError.RequestTimedOut => StatusCodes.Status504GatewayTimeout,
                ForwarderError.RequestBodyClient => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status502BadGateway,
            };
        }

        return error;
    }

    /// <summary>Closes the failed connection and reports the error as YARP does, for passive health and the logs.</summary>
    private void Record(HttpContext context, Http1ConnectionPool pool, Http1Connection connection, ForwardingFailure failure, ForwarderError error)
    {
        pool.Discard(connection);
        logger.ForwardingFailed(pool.Destination, error, failure);
        context.Features.Set<IForwarderErrorFeature>(new ForwarderErrorFeature(error, failure.InnerException ?? failure));
    }
}
