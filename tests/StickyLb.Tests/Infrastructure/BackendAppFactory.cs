using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using StickyLb.BackendApp;

namespace StickyLb.Tests.Infrastructure;

/// <summary>One BackendApp in process (TestServer), as backend <paramref name="id"/>.</summary>
/// <param name="redis">The store's configuration string (<c>host:port</c>, maybe <c>,password=...</c>) for redis mode; null for memory mode.</param>
/// <param name="services">Changes to the backend's services after its own registrations, or null.</param>
internal sealed class BackendAppFactory(string id = "1", string? redis = null, Action<IServiceCollection>? services = null) : WebApplicationFactory<BackendAssemblyMarker>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Backend:Id", id);
        if (redis is not null)
        {
            builder.UseSetting("Backend:Store", "redis");
            builder.UseSetting("Backend:Redis", redis);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client that keeps cookies, as a browser does.</summary>
    public HttpClient CreateBrowser() => CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
}
