using System.Text;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

public sealed class Http1ResponseHeadersTests
{
    [Fact]
    public void EveryKnownNameIsFoundInAnyCase()
    {
        for (var i = 0; i < Http1ResponseHeaders.Names.Length; i++)
        {
            var name = Http1ResponseHeaders.Names[i];
            Assert.Equal(i, Http1ResponseHeaders.Find(Encoding.ASCII.GetBytes(name)));
            Assert.Equal(i, Http1ResponseHeaders.Find(Encoding.ASCII.GetBytes(name.ToUpperInvariant())));
            Assert.Equal(i, Http1ResponseHeaders.Find(Encoding.ASCII.GetBytes(name.ToLowerInvariant())));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("X-Backenc")]
    [InlineData("Content-Lengths")]
    [InlineData("X-A-Header-Name-Longer-Than-Any-Known-One")]
    public void AnUnknownNameIsNotFound(string name) =>
        Assert.Equal(-1, Http1ResponseHeaders.Find(Encoding.ASCII.GetBytes(name)));
}
