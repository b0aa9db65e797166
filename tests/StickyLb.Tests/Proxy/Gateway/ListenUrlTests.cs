using System.Net;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class ListenUrlTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000", false, "127.0.0.1", 5000, true)]
    [InlineData("https://0.0.0.0:8443", true, "0.0.0.0", 8443, false)]
    [InlineData("https://[::]:8443/", true, "::", 8443, false)]
    [InlineData("http://[::1]:0", false, "::1", 0, true)]
    [InlineData("http://10.1.2.3", false, "10.1.2.3", 80, false)]
    [InlineData("https://192.168.0.7", true, "192.168.0.7", 443, false)]
    [InlineData("HTTP://LOCALHOST:5000", false, null, 5000, true)]
    public void AnyAddressAndPortOverHttpOrHttpsIsAListener(string text, bool https, string? address, int port, bool loopback)
    {
        Assert.True(ListenUrl.TryParse(text, out var url, out var reason), reason);

        Assert.Equal(https, url.IsHttps);
        Assert.Equal(address is null ? null : IPAddress.Parse(address), url.Address);
        Assert.Equal(port, url.Port);
        Assert.Equal(loopback, url.IsLoopback);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21", "an http:// or https:// URL")]
    [InlineData("127.0.0.1:5000", "an http:// or https:// URL")]
    [InlineData("http://example.com:80", "not a host name")]
    [InlineData("http://127.0.0.1:5000/app", "without a path")]
    [InlineData("http://user:pw@127.0.0.1:5000", "without a path")]
    [InlineData("http://localhost:0", "a port for localhost")]
    public void AnythingElseSaysWhatAListenerIs(string text, string expected)
    {
        Assert.False(ListenUrl.TryParse(text, out _, out var reason));

        Assert.Contains(expected, reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://0.0.0.0:8443", "https://127.0.0.1:8443/")]
    [InlineData("http://[::]:8080", "http://[::1]:8080/")]
    [InlineData("http://localhost:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://10.1.2.3:8080", "http://10.1.2.3:8080/")]
    public void AWildcardListenerIsReachedOnThisMachineThroughItsLoopback(string text, string expected)
    {
        Assert.True(ListenUrl.TryParse(text, out var url, out _));

        Assert.Equal(expected, url.LocalUri(url.Port).ToString());
    }
}
