using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Forwarding;
using StickyLb.Proxy.Gateway;

using static StickyLb.Tests.Proxy.Gateway.GatewayOptionsReaderTests;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary><c>Gateway:Forwarder</c> / <c>--forwarder</c>: Http1 (default) or Yarp, in any case; anything else is one line.</summary>
public sealed class ForwarderOptionTests
{
    [Fact]
    public void NoForwarderSettingMeansHttp1()
    {
        var ok = GatewayOptionsReader.TryRead(Config(), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(ForwarderMode.Http1, options.Forwarder);
    }

    [Theory]
    [InlineData("Http1", ForwarderMode.Http1)]
    [InlineData("HTTP1", ForwarderMode.Http1)]
    [InlineData("Yarp", ForwarderMode.Yarp)]
    [InlineData("yarp", ForwarderMode.Yarp)]
    [InlineData("YARP", ForwarderMode.Yarp)]
    public void ForwarderAcceptsHttp1AndYarpInAnyCase(string value, ForwarderMode expected)
    {
        var ok = GatewayOptionsReader.TryRead(Config(("Gateway:Forwarder", value)), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(expected, options.Forwarder);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("http2")]
    [InlineData("Http1,Yarp")]
    public void ABadForwarderIsOneLineNamingTheOptionTheValueAndWhatIsAllowed(string value)
    {
        var ok = GatewayOptionsReader.TryRead(Config(("Gateway:Forwarder", value)), out _, out var error);

        Assert.False(ok);
        Assert.Equal($"Invalid forwarder '{value}' (--forwarder or Gateway:Forwarder): expected Http1 or Yarp.", error);
    }

    [Fact]
    public void TryBuildRefusesABadForwarderOnTheCommandLineInOneLine()
    {
        var ok = GatewayApp.TryBuild(["--forwarder", "bogus"], out var app, out var error);

        Assert.False(ok);
        Assert.Null(app);
        Assert.Contains("forwarder", error, StringComparison.Ordinal);
        Assert.Contains("'bogus'", error, StringComparison.Ordinal);
        Assert.Contains("Http1 or Yarp", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public async Task TryBuildAcceptsYarpOnTheCommandLineInAnyCase()
    {
        var ok = GatewayApp.TryBuild(["--forwarder", "yArP"], out var app, out var error);
        await using var built = app;

        Assert.True(ok, error);
        Assert.NotNull(app);
        Assert.Equal(ForwarderMode.Yarp, app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.Forwarder);
    }
}
