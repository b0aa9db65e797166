using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Integration;

/// <summary>A simulated user who logged in through the gateway, and the backend that holds its session.</summary>
internal sealed record LoggedInUser(UserClient Client, string Name, string Backend, int Visits) : IDisposable
{
    /// <summary><paramref name="count"/> users named user0, user1, ..., each checked to be logged in.</summary>
    public static async Task<LoggedInUsers> LogInAsync(GatewayProcess gateway, int count)
    {
        var users = new LoggedInUsers();
        for (var i = 0; i < count; i++)
        {
            var client = gateway.NewUser();
            var name = $"user{i}";
            try
            {
                await client.LoginAsync(name);
                var whoAmI = await client.WhoAmIAsync();
                Assert.Equal(name, whoAmI.User);
                users.Add(new LoggedInUser(client, name, whoAmI.Backend, whoAmI.Visits));
            }
            catch
            {
                client.Dispose();
                users.Dispose();
                throw;
            }
        }

        return users;
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>Users a test logged in; disposing the list disposes every user, whether the test's assertions held or not.</summary>
internal sealed class LoggedInUsers : List<LoggedInUser>, IDisposable
{
    public void Dispose() => ForEach(u => u.Dispose());
}
