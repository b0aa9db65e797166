using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using StickyLb.BackendApp;

namespace StickyLb.Tests.Infrastructure;

/// <summary>One BackendApp in process (TestServer), as backend <paramref name="id"/> in memory mode.</summary>
internal sealed class BackendAppFactory(string id = "1") : WebApplicationFactory<BackendAssemblyMarker>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseSetting("Backend:Id", id);

    /// <summary>A client that keeps cookies, as a browser does.</summary>
    public HttpClient CreateBrowser() => CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
}
