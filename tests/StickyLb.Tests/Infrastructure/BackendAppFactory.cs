using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using StickyLb.BackendApp;

namespace StickyLb.Tests.Infrastructure;

/// <summary>One BackendApp in process (TestServer), as backend <paramref name="id"/>.</summary>
/// <param name="redis">The store's configuration string (<c>host:port</c>, maybe <c>,password=...</c>) for redis mode; null for memory mode.</param>
internal sealed class BackendAppFactory(string id = "1", string? redis = null) : WebApplicationFactory<BackendAssemblyMarker>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Backend:Id", id);
        if (redis is not null)
        {
            builder.UseSetting("Backend:Store", "redis");
            builder.UseSetting("Backend:Redis", redis);
        }
    }

    /// <summary>A client that keeps cookies, as a browser does.</summary>
    public HttpClient CreateBrowser() => CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
}
