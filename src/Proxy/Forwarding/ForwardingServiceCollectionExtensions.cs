using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace StickyLb.Proxy.Forwarding;

/// <summary>
/// What the gateway adds to YARP's forwarder, which carries every request (its HttpClient parses and
/// pools HTTP/1.1; StickyLb has no client of its own).
/// </summary>
internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>The key of YARP's route transform that sets <c>Forwarded</c>; a route that has it keeps it.</summary>
    private const string ForwardedTransform = "Forwarded";

    private const string ForwardedHeader = "Forwarded";

    /// <summary>
    /// YARP's default transforms replace a client's <c>X-Forwarded-*</c> headers with the gateway's own,
    /// but pass a client's RFC 7239 <c>Forwarded</c> header on: a backend that trusts it would take the
    /// client's word for its own address, scheme and host. Every route drops it, unless the route sets it.
    /// </summary>
    public static IReverseProxyBuilder AddForwardingSafeguards(this IReverseProxyBuilder proxy) =>
        proxy.AddTransforms(context =>
        {
            var routeSetsForwarded = context.Route.Transforms?.Any(t => t.ContainsKey(ForwardedTransform)) == true;
            if (!routeSetsForwarded)
            {
                context.AddRequestHeaderRemove(ForwardedHeader);
            }
        });

    /// <summary>
    /// Everything the gateway sets on the SocketsHttpHandler of each backend HttpClient (YARP takes one
    /// <c>ConfigureHttpClient</c> callback):
    /// <list type="bullet">
    /// <item>The gateway does not take part in a trace: a client's <c>traceparent</c>, <c>tracestate</c> and baggage
    /// reach the backend as they came (YARP's pass-through setting: no propagator on the backends' handler).
    /// With .NET's propagator YARP removes those headers and the propagator writes them again only when the
    /// request has an <c>Activity</c>, which ASP.NET Core creates only while something in the process listens:
    /// whether a client's trace survived depended on that (lost in about one test run in five while other
    /// hosts shared the process).</item>
    /// <item>A <see cref="BackendLane"/>'s HttpClient watches its connections for unasked bytes (<see cref="BackendLanes.ConfigureHandler"/>).</item>
    /// </list>
    /// </summary>
    public static IReverseProxyBuilder ConfigureBackendHandlers(this IReverseProxyBuilder proxy) =>
        proxy.ConfigureHttpClient((_, handler) =>
        {
            handler.ActivityHeadersPropagator = null;
            BackendLanes.ConfigureHandler(handler);
        });

    /// <summary>
    /// Puts <see cref="ClientConnectionForwarder"/> in front of YARP's forwarder, so that the backend connections of
    /// requests that came on a gateway listener are lent per request (<see cref="BackendLanePool"/>), with the
    /// settings of <c>Gateway:BackendConnections</c> (<see cref="BackendConnectionsOptions"/>).
    /// </summary>
    public static IReverseProxyBuilder AddClientConnectionBackends(this IReverseProxyBuilder proxy)
    {
        var services = proxy.Services;
        var yarp = services.LastOrDefault(d => d.ServiceType == typeof(IHttpForwarder))
            ?? throw new InvalidOperationException("AddClientConnectionBackends needs AddReverseProxy first.");
        services.AddOptions<BackendConnectionsOptions>()
            .BindConfiguration(BackendConnectionsOptions.Section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackendConnectionsOptions>, BackendConnectionsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BackendLanes>();
        services.RemoveAll<IHttpForwarder>();
        services.AddSingleton<IHttpForwarder>(provider => ActivatorUtilities.CreateInstance<ClientConnectionForwarder>(provider, CreateYarpForwarder(provider, yarp)));
        return proxy;
    }

    private static IHttpForwarder CreateYarpForwarder(IServiceProvider provider, ServiceDescriptor yarp) =>
        (IHttpForwarder)(yarp.ImplementationInstance
            ?? yarp.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, yarp.ImplementationType!));

    /// <summary>400 rather than 502 for a request HttpClient would not send (<see cref="UnforwardableRequestMiddleware"/>).</summary>
    public static IReverseProxyApplicationBuilder UseUnforwardableRequestAnswer(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<UnforwardableRequestMiddleware>();
        return proxy;
    }
}
