using Microsoft.Extensions.Primitives;
using StickyLb.Proxy.Affinity;

namespace StickyLb.Tests.Proxy.Affinity;

public sealed class ServerCookieReaderTests
{
    [Theory]
    [InlineData("server=2", ServerCookieStatus.WellFormed, "2")]
    [InlineData("a=b; server=12; c=d", ServerCookieStatus.WellFormed, "12")]
    [InlineData("  server = 3 ", ServerCookieStatus.WellFormed, "3")]
    [InlineData("server=backend-a_1", ServerCookieStatus.WellFormed, "backend-a_1")]
    [InlineData("servers=2", ServerCookieStatus.None, "")]
    [InlineData("xserver=2; other=1", ServerCookieStatus.None, "")]
    [InlineData("Server=2", ServerCookieStatus.None, "")]
    [InlineData("", ServerCookieStatus.None, "")]
    [InlineData("server", ServerCookieStatus.None, "")]
    [InlineData("server=", ServerCookieStatus.Malformed, "")]
    [InlineData("server=../1", ServerCookieStatus.Malformed, "")]
    [InlineData("server=1,2", ServerCookieStatus.Malformed, "")]
    [InlineData("server=\"1\"", ServerCookieStatus.Malformed, "")]
    [InlineData("server=1; server=1", ServerCookieStatus.Repeated, "")]
    [InlineData("server=1;server=2;server=3", ServerCookieStatus.Repeated, "")]
    public void ReadsTheServerCookie(string header, ServerCookieStatus expected, string expectedValue)
    {
        var status = ServerCookieReader.Read(new StringValues(header), "server", out var value);

        Assert.Equal((expected, expectedValue), (status, value.ToString()));
    }

    [Fact]
    public void ACookieInTwoHeadersIsRepeated()
    {
        var status = ServerCookieReader.Read(new StringValues(["a=1; server=1", "server=2"]), "server", out _);

        Assert.Equal(ServerCookieStatus.Repeated, status);
    }

    [Fact]
    public void NoCookieHeaderIsNone()
    {
        var status = ServerCookieReader.Read(StringValues.Empty, "server", out var value);

        Assert.Equal(ServerCookieStatus.None, status);
        Assert.True(value.IsEmpty);
    }

    [Theory]
    [InlineData(AffinityDefaults.MaxCookieValueLength, ServerCookieStatus.WellFormed)]
    [InlineData(AffinityDefaults.MaxCookieValueLength + 1, ServerCookieStatus.Oversized)]
    [InlineData(4096, ServerCookieStatus.Oversized)]
    public void AValueOverTheLimitIsOversized(int length, ServerCookieStatus expected)
    {
        var status = ServerCookieReader.Read(new StringValues("server=" + new string('1', length)), "server", out _);

        Assert.Equal(expected, status);
    }
}
