extern alias proxy;

using StackExchange.Redis;
using StoreConfiguration = proxy::StickyLb.Shared.StoreConfiguration;

// src/Shared, compiled into both apps ("Shared" alone is a reserved word in Visual Basic: CA1716).
namespace StickyLb.Tests.SharedSource;

public sealed class StoreConfigurationTests
{
    [Fact]
    public void AHostAndPortGetsTheSettingsThatMakeAnOutageFailFastAndKeepKeysOutOfErrors()
    {
        var options = StoreConfiguration.Parse("127.0.0.1:6379");

        Assert.False(options.IncludeDetailInExceptions);
        Assert.Equal((500, 500, 1000, false), (options.SyncTimeout, options.AsyncTimeout, options.ConnectTimeout, options.AbortOnConnectFail));
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.IsType<LinearRetry>(options.ReconnectRetryPolicy);
        // Looked at five times a second: a lost connection (the promoted replica's, behind Sentinel) is tried
        // again within a fifth of a second, not at the next once-a-second heartbeat.
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.HeartbeatInterval);
    }

    [Fact]
    public void TimeoutsWrittenInTheStringWin()
    {
        var options = StoreConfiguration.Parse("127.0.0.1:6379,SyncTimeout=2000,asyncTimeout=3000,connectTimeout=4000");

        Assert.Equal((2000, 3000, 4000), (options.SyncTimeout, options.AsyncTimeout, options.ConnectTimeout));
    }

    [Fact]
    public void PasswordUserTlsSeveralEndpointsAndASentinelServiceAreTaken()
    {
        var options = StoreConfiguration.Parse("a.example.com:6380,b.example.com:6380,user=app,password=secret,ssl=true,serviceName=mymaster");

        Assert.Equal("a.example.com:6380,b.example.com:6380", StoreConfiguration.Endpoints(options));
        Assert.Equal(("app", "secret", true, "mymaster"), (options.User, options.Password, options.Ssl, options.ServiceName));
    }

    [Theory]
    [InlineData("127.0.0.1:6379,bogus=1", "Keyword 'bogus' is not supported.")]
    [InlineData("127.0.0.1:6379,connectTimeout=soon", "Keyword 'connectTimeout' requires an integer value; the value 'soon' is not recognised.")]
    [InlineData("password=secret", "It names no host:port.")]
    public void AStringThatCannotBeUsedIsOneLineWithoutThePassword(string configuration, string expected)
    {
        var ok = StoreConfiguration.TryParse(configuration, out _, out var error);

        Assert.False(ok);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("127.0.0.1:6379,password=secret", "127.0.0.1:6379,password=*****")]
    [InlineData("h:1, Password = secret ,ssl=true", "h:1, Password =*****,ssl=true")]
    [InlineData("h:1,sentinelPassword=secret,user=app", "h:1,sentinelPassword=*****,user=app")]
    [InlineData("h:1", "h:1")]
    public void MaskHidesEveryPassword(string configuration, string expected) =>
        Assert.Equal(expected, StoreConfiguration.Mask(configuration));
}
