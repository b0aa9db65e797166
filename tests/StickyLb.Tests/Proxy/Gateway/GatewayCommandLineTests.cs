using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class GatewayCommandLineTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--store redis --redis 127.0.0.1:6379,password=x")]
    [InlineData("--port=0 --ADMIN-PORT 0")]
    [InlineData("--ReverseProxy:Clusters:backends:LoadBalancingPolicy PowerOfTwoChoices --Logging:LogLevel:Default Warning")]
    [InlineData("--forwarder yarp")]
    [InlineData("--listen http://0.0.0.0:8080 --listen=https://[::]:8443 --backend http://10.0.0.5:80")]
    public void DocumentedOptionsAndConfigurationKeysPass(string commandLine)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(GatewayCommandLine.TryCheck(args, out var error), error);
    }

    [Theory]
    [InlineData("--prot 5000", "Unknown option '--prot'; did you mean '--port'?")]
    [InlineData("--stores redis", "Unknown option '--stores'; did you mean '--store'?")]
    [InlineData("--colour red", "Unknown option '--colour' (see --help).")]
    [InlineData("--port 5000 --store", "Option '--store' needs a value")]
    [InlineData("-p 5000", "Unexpected argument '-p'")]
    [InlineData("--store redis extra", "Unexpected argument 'extra'")]
    public void AnythingElseIsOneLineNamingIt(string commandLine, string expected)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.False(GatewayCommandLine.TryCheck(args, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help", true)]
    [InlineData("--port 0 -h", true)]
    [InlineData("--port 0", false)]
    public void HelpIsAskedForWhereverItStands(string commandLine, bool expected)
    {
        Assert.Equal(expected, GatewayCommandLine.IsHelp(commandLine.Split(' ')));
    }

    [Fact]
    public void EveryDocumentedOptionMapsOntoTheGatewaySectionAndAppearsInTheHelp()
    {
        var help = GatewayCommandLine.Help();

        Assert.All(GatewayCommandLine.Options, o => Assert.StartsWith("Gateway:", o.Key, StringComparison.Ordinal));
        Assert.All(GatewayCommandLine.Options.Where(o => !o.Repeatable), o => Assert.Equal(o.Key, GatewayCommandLine.SwitchMappings[o.Name]));
        Assert.All(GatewayCommandLine.Options.Where(o => o.Repeatable), o => Assert.False(GatewayCommandLine.SwitchMappings.ContainsKey(o.Name)));
        Assert.All(GatewayCommandLine.Options, o => Assert.Contains($"{o.Name} {o.Values}", help, StringComparison.Ordinal));
    }

    [Fact]
    public void RepeatedOptionsBindAsListsInTheOrderGiven()
    {
        string[] args = ["--listen", "http://0.0.0.0:8080", "--store", "redis", "--LISTEN=https://[::]:8443", "--backend", "http://a:1", "--backend", "http://b:2"];

        var configuration = new ConfigurationBuilder()
            .AddCommandLine(GatewayCommandLine.ExpandRepeatable(args), GatewayCommandLine.SwitchMappings)
            .Build();
        var options = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()!;

        Assert.Equal(["http://0.0.0.0:8080", "https://[::]:8443"], options.Listen);
        Assert.Equal(["http://a:1", "http://b:2"], options.Backend);
        Assert.Equal(StoreMode.Redis, options.Store);
    }
}
