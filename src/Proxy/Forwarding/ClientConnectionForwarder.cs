using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// YARP's forwarder, given the client connection's own HttpClient (<see cref="ClientConnectionBackends"/>)
/// in place of the cluster's shared one, made by YARP's <see cref="IForwarderHttpClientFactory"/> from the
/// same cluster settings. Nothing else changes: YARP's forwarder and SocketsHttpHandler do the work.
/// </summary>
internal sealed class ClientConnectionForwarder(IHttpForwarder yarp, IForwarderHttpClientFactory clientFactory) : IHttpForwarder
{
    public ValueTask<ForwarderError> SendAsync(
        HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
        yarp.SendAsync(context, destinationPrefix, ClientFor(context, httpClient), requestConfig, transformer);

    public ValueTask<ForwarderError> SendAsync(
        HttpContext context,
        string destinationPrefix,
        HttpMessageInvoker httpClient,
        ForwarderRequestConfig requestConfig,
        HttpTransformer transformer,
        CancellationToken cancellationToken) =>
        yarp.SendAsync(context, destinationPrefix, ClientFor(context, httpClient), requestConfig, transformer, cancellationToken);

    private HttpMessageInvoker ClientFor(HttpContext context, HttpMessageInvoker shared)
    {
        if (ClientConnectionBackends.Of(context) is not { } backends
            || context.Features.Get<IReverseProxyFeature>()?.Cluster is not { } cluster
            || !ReferenceEquals(cluster.HttpClient, shared))
        {
            return shared;
        }

        return backends.ClientFor(shared, () => clientFactory.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = cluster.Config.ClusterId,
            NewConfig = cluster.Config.HttpClient ?? HttpClientConfig.Empty,
        }));
    }
}
