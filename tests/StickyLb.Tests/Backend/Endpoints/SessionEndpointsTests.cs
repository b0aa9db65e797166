extern alias proxy;

using System.Net;
using System.Net.Http.Json;
using System.Text;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Tests.Infrastructure;
using HealthResponse = proxy::StickyLb.Shared.HealthResponse;

namespace StickyLb.Tests.Backend.Endpoints;

public sealed class SessionEndpointsTests
{
    [Fact]
    public async Task WhoAmICountsVisitsWithinOneSession()
    {
        await using var app = new BackendAppFactory("2");
        using var browser = app.CreateBrowser();

        var first = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");
        var second = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");

        Assert.Equal(("2", null, 1, "2", "memory"), (first!.Backend, first.User, first.Visits, first.SessionBackend, first.Store));
        Assert.Equal((first.SessionId, 2), (second!.SessionId, second.Visits));
    }

    [Fact]
    public async Task LoginStoresTheUserForTheSessionAndLogoutForgetsIt()
    {
        await using var app = new BackendAppFactory();
        using var browser = app.CreateBrowser();

        using var login = await browser.PostAsJsonAsync("/login", new { user = "alice" });
        var afterLogin = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");
        using var logout = await browser.PostAsync("/logout", null);
        var afterLogout = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("alice", (await login.Content.ReadFromJsonAsync<WhoAmIResponse>())!.User);
        Assert.Equal("alice", afterLogin!.User);
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Null(afterLogout!.User);
        Assert.Equal(afterLogin.SessionId, afterLogout.SessionId);
    }

    [Theory]
    [InlineData("application/json", "{}", "'user' is required")]
    [InlineData("application/json", "{\"user\":\"\"}", "'user' is required")]
    [InlineData("application/json", "{\"user\":\"   \"}", "'user' is required")]
    [InlineData("application/json", "{\"user\":null}", "'user' is required")]
    [InlineData("application/json", "null", "must be a JSON object")]
    [InlineData("application/json", "{\"user\":", "not valid JSON")]
    [InlineData("application/json", "[1]", "not valid JSON")]
    [InlineData("text/plain", "{\"user\":\"alice\"}", "Content-Type: application/json")]
    [InlineData("application/x-www-form-urlencoded", "user=alice", "Content-Type: application/json")]
    public async Task InvalidLoginIsA400ProblemAndChangesNothing(string contentType, string body, string detail)
    {
        await using var app = new BackendAppFactory();
        using var browser = app.CreateBrowser();

        using var response = await browser.PostAsync("/login", new StringContent(body, Encoding.UTF8, contentType));
        var after = await browser.GetFromJsonAsync<WhoAmIResponse>("/whoami");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        Assert.Null(after!.User);
    }

    [Fact]
    public async Task AUserNameOver64CharactersIsRefused()
    {
        await using var app = new BackendAppFactory();
        using var browser = app.CreateBrowser();

        using var at64 = await browser.PostAsJsonAsync("/login", new { user = new string('a', 64) });
        using var at65 = await browser.PostAsJsonAsync("/login", new { user = new string('a', 65) });

        Assert.Equal(HttpStatusCode.OK, at64.StatusCode);
        await AssertProblemAsync(at65, HttpStatusCode.BadRequest, "at most 64 characters");
    }

    [Fact]
    public async Task TheCartKeepsItemsForTheSession()
    {
        await using var app = new BackendAppFactory("3");
        using var browser = app.CreateBrowser();

        using var book = await browser.PostAsJsonAsync("/cart/items", new { item = "book" });
        using var pen = await browser.PostAsJsonAsync("/cart/items", new { item = "pen" });
        var cart = await browser.GetFromJsonAsync<CartResponse>("/cart");
        using var empty = await browser.PostAsJsonAsync("/cart/items", new { item = "" });

        Assert.Equal(HttpStatusCode.OK, book.StatusCode);
        Assert.Equal(["book", "pen"], (await pen.Content.ReadFromJsonAsync<CartResponse>())!.Items);
        Assert.Equal("3", cart!.Backend);
        Assert.Equal(["book", "pen"], cart.Items);
        await AssertProblemAsync(empty, HttpStatusCode.BadRequest, "'item' is required");
    }

    [Fact]
    public async Task AFullCartRefusesMoreItems()
    {
        await using var app = new BackendAppFactory();
        using var browser = app.CreateBrowser();
        for (var i = 0; i < SessionEndpoints.MaxCartItems; i++)
        {
            using var added = await browser.PostAsJsonAsync("/cart/items", new { item = $"item{i}" });
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        using var response = await browser.PostAsJsonAsync("/cart/items", new { item = "one too many" });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "cart is full");
    }

    [Theory]
    [InlineData("GET", "/whoami")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/healthz")]
    [InlineData("GET", "/no-such-page")]
    [InlineData("POST", "/login")]
    public async Task EveryResponseNamesTheBackend(string method, string path)
    {
        await using var app = new BackendAppFactory("5");
        using var client = app.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("5", response.Headers.GetValues("X-Backend").Single());
    }

    [Fact]
    public async Task HealthReportsSessionsWithoutCreatingOne()
    {
        await using var app = new BackendAppFactory("4");
        using var browser = app.CreateBrowser();
        await browser.GetAsync("/whoami");
        using var client = app.CreateClient(new() { HandleCookies = false });

        using var response = await client.GetAsync("/healthz");
        var health = await response.Content.ReadFromJsonAsync<HealthResponse>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(("healthy", "4", 1, "memory"), (health!.Status, health.Backend, health.Sessions, health.Store));
        Assert.Equal(Environment.ProcessId, health.Pid);
    }

    [Fact]
    public async Task InMemoryModeOneBackendCannotReadAnothersSessionCookie()
    {
        await using var backend1 = new BackendAppFactory("1");
        await using var backend2 = new BackendAppFactory("2");
        using var browser1 = backend1.CreateClient(new() { HandleCookies = false });
        using var browser2 = backend2.CreateClient(new() { HandleCookies = false });
        using var login = await browser1.PostAsJsonAsync("/login", new { user = "alice" });
        var sessionCookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami") { Headers = { { "Cookie", sessionCookie } } };
        using var response = await browser2.SendAsync(request);
        var whoAmI = await response.Content.ReadFromJsonAsync<WhoAmIResponse>();

        Assert.Equal(("2", null, "2"), (whoAmI!.Backend, whoAmI.User, whoAmI.SessionBackend));
        Assert.NotEqual((await login.Content.ReadFromJsonAsync<WhoAmIResponse>())!.SessionId, whoAmI.SessionId);
    }

    [Fact]
    public async Task TheHomePageShowsTheFactsWithUserInputEncoded()
    {
        await using var app = new BackendAppFactory("2");
        using var browser = app.CreateBrowser();
        await browser.PostAsJsonAsync("/login", new { user = "<script>x</script>" });
        await browser.PostAsJsonAsync("/cart/items", new { item = "book" });

        var html = await browser.GetStringAsync("/");

        Assert.Contains("<h1>Backend 2</h1>", html);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>x</script>", html);
        Assert.Contains("<li>book</li>", html);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Contains(detail, problem!["detail"].ToString());
    }
}
