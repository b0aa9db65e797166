using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Forwarding;

/// <summary>Puts <see cref="Http1Forwarder"/> in front of YARP's forwarder. Call after <c>AddReverseProxy</c>.</summary>
internal static class ForwardingServiceCollectionExtensions
{
    public static IServiceCollection AddHttp1Forwarding(this IServiceCollection services)
    {
        var yarp = services.LastOrDefault(d => d.ServiceType == typeof(IHttpForwarder))
            ?? throw new InvalidOperationException("AddHttp1Forwarding needs AddReverseProxy first.");
        services.RemoveAll<IHttpForwarder>();
        services.AddSingleton<Http1ConnectionPools>();
        services.AddSingleton<IHttpForwarder>(provider => ActivatorUtilities.CreateInstance<Http1Forwarder>(provider, CreateYarpForwarder(provider, yarp)));
        return services;
    }

    private static IHttpForwarder CreateYarpForwarder(IServiceProvider provider, ServiceDescriptor yarp) =>
        (IHttpForwarder)(yarp.ImplementationInstance
            ?? yarp.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, yarp.ImplementationType!));
}
