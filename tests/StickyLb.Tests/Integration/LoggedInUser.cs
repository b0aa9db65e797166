using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Integration;

/// <summary>A simulated user who logged in through the gateway, and the backend that holds its session.</summary>
internal sealed record LoggedInUser(UserClient Client, string Name, string Backend, int Visits) : IDisposable
{
    public static async Task<List<LoggedInUser>> LogInAsync(GatewayProcess gateway, int count)
    {
        var users = new List<LoggedInUser>();
        for (var i = 0; i < count; i++)
        {
            var client = gateway.NewUser();
            var name = $"user{i}";
            await client.LoginAsync(name);
            var whoAmI = await client.WhoAmIAsync();
            Assert.Equal(name, whoAmI.User);
            users.Add(new LoggedInUser(client, name, whoAmI.Backend, whoAmI.Visits));
        }

        return users;
    }

    public void Dispose() => Client.Dispose();
}
