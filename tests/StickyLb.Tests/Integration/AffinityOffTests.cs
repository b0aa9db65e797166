using System.Globalization;
using System.Net.Http.Json;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary><c>--affinity off</c> in each store mode, with the real gateway and real backends (and store).</summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class AffinityOffTests(ITestOutputHelper output)
{
    private const int Users = 6;
    private const int Requests = 9;

    [Theory]
    [InlineData("memory", false)]
    [InlineData("redis", true)]
    [InlineData("replicated", true)]
    public async Task WithoutAffinityEveryRequestIsBalancedAndOnlyASharedSessionFollowsTheUser(string store, bool sessionFollows)
    {
        string[] args = store == "redis"
            ? ["--affinity", "off", "--store", "redis", "--store-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture)]
            : ["--affinity", "off", "--store", store];
        await using var gateway = await GatewayProcess.StartAsync(output, args);
        var settings = await gateway.Admin.GetFromJsonAsync<GatewaySettings>("/api/settings");
        var backendsSeen = new HashSet<string>();
        var stayedLoggedIn = 0;

        for (var i = 0; i < Users; i++)
        {
            using var user = gateway.NewUser();
            var name = $"user{i}";
            await user.LoginAsync(name);
            var loggedInThroughout = true;
            for (var request = 0; request < Requests; request++)
            {
                var whoAmI = await user.WhoAmIAsync();
                backendsSeen.Add(whoAmI.Backend);
                loggedInThroughout &= whoAmI.User == name;
            }

            Assert.Null(user.ServerCookie);
            stayedLoggedIn += loggedInThroughout ? 1 : 0;
        }

        Assert.Equal(("off", store), (settings!.Affinity, settings.Store));
        Assert.Equal(["1", "2", "3"], backendsSeen.Order());
        var ready = gateway.Output.Split('\n').Single(l => l.StartsWith(ReadyLine.Prefix, StringComparison.Ordinal));
        Assert.Contains("affinity off", ready, StringComparison.Ordinal);
        if (sessionFollows)
        {
            // The session lives where every backend finds it: nobody notices which backend answers.
            Assert.Equal(Users, stayedLoggedIn);
            Assert.DoesNotContain("Affinity is off in memory mode", gateway.Output, StringComparison.Ordinal);
        }
        else
        {
            // The seeds' starting problem: the next request lands on another backend, which has never heard of the user.
            Assert.Equal(0, stayedLoggedIn);
            Assert.Contains("Affinity is off in memory mode", gateway.Output, StringComparison.Ordinal);
        }
    }
}
