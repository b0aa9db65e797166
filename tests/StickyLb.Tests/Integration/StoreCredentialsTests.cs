using StickyLb.Proxy.Admin;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// <c>--redis</c> with a password, against a real redis-server (<c>--requirepass</c>) or Garnet
/// (<c>--auth Password</c>): it works end to end, a wrong or missing one stops start-up with one line,
/// and the password shows nowhere.
/// </summary>
[Collection(StoreProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class StoreCredentialsTests(ITestOutputHelper output)
{
    private const string Password = "Tr0ub4dor-and-3";

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AStoreWithAPasswordServesSessionsEndToEndAndThePasswordShowsNowhere(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind, Password);
        // Debug: the gateway also prints every line its backends write.
        await using var gateway = await GatewayProcess.StartAsync(output, "--store", "redis", "--redis", store.Configuration, "--Logging:LogLevel:StickyLb", "Debug");
        using var user = gateway.NewUser();

        var alice = await user.LoginAsync("alice");
        var again = await user.WhoAmIAsync();
        var backends = await gateway.GetBackendsAsync();
        var shown = new List<string>();
        foreach (var path in new[] { "/", "/api/settings", "/api/backends", "/api/stats", "/api/simulation", "/api/store" })
        {
            shown.Add(await gateway.Admin.GetStringAsync(path));
        }

        // What `ps` shows every user of the machine.
        shown.AddRange(backends.Select(b => File.ReadAllText($"/proc/{b.Pid}/cmdline")));
        shown.Add(gateway.Output);

        Assert.Equal(("alice", alice.SessionId, 1, "redis"), (again.User, again.SessionId, again.Visits, again.Store));
        Assert.Contains(gateway.Output.Split('\n'), l => l.StartsWith("StickyLb ready:", StringComparison.Ordinal) && l.Contains($"store redis (external {store.Endpoint})", StringComparison.Ordinal));
        Assert.All(shown, text => Assert.DoesNotContain(Password, text, StringComparison.Ordinal));
        var status = await gateway.Admin.GetFromJsonAsync<StoreStatus>("/api/store");
        Assert.Equal(("external", true, store.Endpoint), (status!.Kind, status.Answers, status.Primary));
        Assert.Equal([store.Endpoint], status.Endpoints);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AWrongPasswordStopsStartUpWithOneClearLine(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind, Password);

        var line = await FailedStartUpAsync($"{store.Endpoint},password=not-{Password}");

        Assert.Equal(RefusedLine(store), line);
    }

    [Theory]
    [MemberData(nameof(StoreServer.Kinds), MemberType = typeof(StoreServer))]
    public async Task AStoreThatWantsAPasswordAndGetsNoneStopsStartUpWithOneClearLine(string kind)
    {
        await using var store = await StoreServer.StartAsync(kind, Password);

        var line = await FailedStartUpAsync(store.Endpoint);

        Assert.Equal(RefusedLine(store), line);
    }

    private static string RefusedLine(StoreServer store) =>
        $"stickylb: The store at {store.Endpoint} (--redis) refused the credentials it was given; check password= and user= in --redis.";

    /// <summary>Starts the gateway with <c>--redis <paramref name="redis"/></c>, expects exit code 1 and answers its one line of output.</summary>
    private async Task<string> FailedStartUpAsync(string redis)
    {
        await using var gateway = GatewayProcess.Launch(output, "--store", "redis", "--redis", redis);

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain(Password, gateway.Output, StringComparison.Ordinal);
        return Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
