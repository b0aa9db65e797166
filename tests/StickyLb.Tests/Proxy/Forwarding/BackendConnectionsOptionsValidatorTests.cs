using Microsoft.Extensions.Configuration;
using StickyLb.Proxy.Forwarding;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>A bad <c>Gateway:BackendConnections</c> value stops start-up with one line naming the key, the value and what is allowed.</summary>
public sealed class BackendConnectionsOptionsValidatorTests
{
    [Theory]
    [InlineData("QuietPeriod", "00:00:11", "Invalid Gateway:BackendConnections:QuietPeriod '00:00:11': expected a period from 00:00:00 to 00:00:10")]
    [InlineData("QuietPeriod", "-00:00:01", "Invalid Gateway:BackendConnections:QuietPeriod '-00:00:01'")]
    [InlineData("QuietPeriod", "soon", "Invalid Gateway:BackendConnections:QuietPeriod 'soon'")]
    [InlineData("IdleTimeout", "00:00:00.500", "Invalid Gateway:BackendConnections:IdleTimeout '00:00:00.5000000': expected a period from 00:00:01")]
    [InlineData("Sharing", "Sometimes", "Invalid Gateway:BackendConnections:Sharing 'Sometimes': expected AfterQuietPeriod or Never")]
    public void ABadValueIsOneLineNamingKeyValueAndWhatIsAllowed(string key, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new($"Gateway:BackendConnections:{key}", value)]).Build();

        Assert.False(BackendConnectionsOptionsValidator.TryRead(configuration, out var error));
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TheDefaultsAndSettingsInRangeAreAccepted()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
        [
            new("Gateway:BackendConnections:QuietPeriod", "00:00:00"),
            new("Gateway:BackendConnections:IdleTimeout", "00:01:00"),
            new("Gateway:BackendConnections:Sharing", "Never"),
        ]).Build();

        Assert.True(BackendConnectionsOptionsValidator.TryRead(new ConfigurationBuilder().Build(), out _));
        Assert.True(BackendConnectionsOptionsValidator.TryRead(configuration, out var error), error);
    }
}
