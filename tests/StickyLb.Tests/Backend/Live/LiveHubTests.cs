using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using StickyLb.BackendApp.Live;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Backend.Live;

/// <summary>The hub and its script on one BackendApp in process (long polling: TestServer has no WebSocket handler for the client).</summary>
public sealed class LiveHubTests
{
    [Fact]
    public async Task EachConnectionCountsOnItsOwnAndNamesTheBackend()
    {
        await using var app = new BackendAppFactory("2");
        await using var first = await ConnectAsync(app);
        await using var second = await ConnectAsync(app);

        int[] firstCounts = [await first.InvokeAsync<int>("Increment"), await first.InvokeAsync<int>("Increment"), await first.InvokeAsync<int>("Increment")];
        var secondCount = await second.InvokeAsync<int>("Increment");

        Assert.Equal([1, 2, 3], firstCounts);
        Assert.Equal(1, secondCount);
        Assert.Equal("2", await first.InvokeAsync<string>("WhoAmI"));
    }

    [Fact]
    public async Task TheHubWorksWhileTheStoreIsDownSinceItNeverTouchesTheSession()
    {
        // Redis mode with nothing listening: every session request is a 503, the hub is not.
        await using var app = new BackendAppFactory("1", redis: $"127.0.0.1:{FreePorts.Next()}");
        using var session = await app.CreateBrowser().GetAsync("/whoami");
        await using var live = await ConnectAsync(app);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, session.StatusCode);
        Assert.Equal(1, await live.InvokeAsync<int>("Increment"));
    }

    [Fact]
    public async Task TheHomePageLoadsTheVendoredClientFromTheBackendItself()
    {
        await using var app = new BackendAppFactory();
        using var browser = app.CreateBrowser();

        var page = await browser.GetStringAsync("/");
        using var script = await browser.GetAsync(LiveAssets.ScriptPath);

        Assert.Contains($"<script src=\"{LiveAssets.ScriptPath}\"></script>", page);
        Assert.Contains("id=\"live\"", page);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("HubConnectionBuilder", await script.Content.ReadAsStringAsync());
    }

    private static async Task<HubConnection> ConnectAsync(BackendAppFactory app)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, LiveHub.Path), HttpTransportType.LongPolling, options =>
                options.HttpMessageHandlerFactory = _ => app.Server.CreateHandler())
            .Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await connection.StartAsync(timeout.Token);
        return connection;
    }
}
