using StickyLb.Proxy.Store;

namespace StickyLb.Tests.Proxy.Store;

/// <summary>
/// Where the embedded redis-server's Unix socket goes (the backends' way to it): in the data directory, unless the path
/// cannot be a socket's (too long) or a StackExchange.Redis configuration string's (a comma, '=' or a space in it).
/// </summary>
public sealed class EmbeddedStoreServerTests
{
    [Fact]
    public void TheSocketLivesInTheDataDirectory() =>
        Assert.Equal("/tmp/stickylb-store-6380/redis.sock", EmbeddedStoreServer.UnixSocketPath("/tmp/stickylb-store-6380"));

    [Theory]
    [InlineData("/tmp/a,b")]
    [InlineData("/tmp/a=b")]
    [InlineData("/tmp/a b")]
    public void APathAConfigurationStringCannotHoldGetsNoSocket(string dataDirectory) =>
        Assert.Null(EmbeddedStoreServer.UnixSocketPath(dataDirectory));

    [Fact]
    public void APathTooLongForASocketGetsNoSocket()
    {
        var longest = "/" + new string('d', EmbeddedStoreServer.MaxUnixSocketPathBytes - 1 - ("/" + EmbeddedStoreServer.UnixSocketFileName).Length);

        Assert.NotNull(EmbeddedStoreServer.UnixSocketPath(longest));
        Assert.Null(EmbeddedStoreServer.UnixSocketPath(longest + "d"));
    }
}
