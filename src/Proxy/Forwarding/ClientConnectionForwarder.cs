using System.Net;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// YARP's forwarder, given a <see cref="BackendLane"/>'s HttpClient for the request (made by YARP's
/// <see cref="IForwarderHttpClientFactory"/> from the same cluster settings) in place of the cluster's shared one, and
/// the lane back when the request is over. Nothing else changes: YARP's forwarder and SocketsHttpHandler do the work.
/// The cluster's shared HttpClient still carries requests that came on no gateway listener, and those of a cluster
/// that speaks only HTTP/2 or later to its backends (<c>HttpRequest:Version</c> 2 with a <c>VersionPolicy</c> of
/// <c>RequestVersionExact</c> or <c>RequestVersionOrHigher</c>): each answer framed on its own stream cannot reach
/// another request.
/// </summary>
internal sealed class ClientConnectionForwarder(IHttpForwarder yarp, BackendLanes lanes) : IHttpForwarder
{
    public ValueTask<ForwarderError> SendAsync(
        HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
        ClientConnectionBackends.Of(context) is { } owner && PoolFor(context, destinationPrefix, httpClient) is { } pool
            ? ForwardAsync(pool, owner, context, destinationPrefix, requestConfig, transformer, cancellationToken: null)
            : yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer);

    public ValueTask<ForwarderError> SendAsync(
        HttpContext context,
        string destinationPrefix,
        HttpMessageInvoker httpClient,
        ForwarderRequestConfig requestConfig,
        HttpTransformer transformer,
        CancellationToken cancellationToken) =>
        ClientConnectionBackends.Of(context) is { } owner && PoolFor(context, destinationPrefix, httpClient) is { } pool
            ? ForwardAsync(pool, owner, context, destinationPrefix, requestConfig, transformer, cancellationToken)
            : yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, cancellationToken);

    // Pooled: one per forwarded request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(
        BackendLanePool pool,
        ClientConnectionBackends owner,
        HttpContext context,
        string destinationPrefix,
        ForwarderRequestConfig requestConfig,
        HttpTransformer transformer,
        CancellationToken? cancellationToken)
    {
        BackendLane lane;
        var leaseCancelled = cancellationToken ?? context.RequestAborted;
        try
        {
            lane = await pool.LeaseAsync(owner, leaseCancelled);
        }
        catch (OperationCanceledException) when (leaseCancelled.IsCancellationRequested)
        {
            // The client left while every connection to the backend was busy: nothing was sent, nobody is to blame.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = (int)HttpStatusCode.BadGateway;
            }

            return ForwarderError.RequestCanceled;
        }

        try
        {
            return cancellationToken is { } token
                ? await yarp.SendAsync(context, destinationPrefix, lane.Invoker, requestConfig, transformer, token)
                : await yarp.SendAsync(context, destinationPrefix, lane.Invoker, requestConfig, transformer);
        }
        finally
        {
            pool.Release(lane);
        }
    }

    private BackendLanePool? PoolFor(HttpContext context, string destinationPrefix, HttpMessageInvoker shared) =>
        context.Features.Get<IReverseProxyFeature>() is { Cluster: { } cluster } proxy
        && ReferenceEquals(cluster.HttpClient, shared)
        && !SpeaksOnlyHttp2OrLater(cluster.Config.HttpRequest)
            ? lanes.PoolFor(cluster, destinationPrefix, proxy.ProxiedDestination?.DestinationId ?? destinationPrefix)
            : null;

    private static bool SpeaksOnlyHttp2OrLater(ForwarderRequestConfig? request) =>
        request is { Version.Major: >= 2, VersionPolicy: HttpVersionPolicy.RequestVersionExact or HttpVersionPolicy.RequestVersionOrHigher };
}
