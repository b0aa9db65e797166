using Microsoft.Extensions.Configuration;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class GatewayOptionsTests
{
    [Fact]
    public void NoGatewaySectionGivesTheDocumentedDefaults()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(
            (StoreMode.Memory, FailoverMode.Redistribute, 3, 5000, 5001, 5101, true, (string?)null, AffinityMode.On),
            (options!.Store, options.Failover, options.Backends, options.Port, options.AdminPort, options.BackendPort, options.Spawn, options.Redis, options.Affinity));
    }

    [Fact]
    public void PlacementDefaultsToLeastSessionsWithATenSecondSlowStartAndNoRebalancing()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(((string?)null, 10.0, "off", (double?)null), (options!.Balance, options.SlowStart, options.Rebalance, options.RebalanceFactor));
    }

    [Theory]
    [InlineData("redis", "1.25", 1.25)]
    [InlineData("replicated", "2", 2.0)]
    [InlineData("memory", "off", null)]
    [InlineData("memory", "OFF", null)]
    public void RebalanceTakesAFactorInRedisAndReplicatedModeAndOffAnywhere(string store, string value, double? factor)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Store", store), ("Gateway:Rebalance", value)), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(factor, options!.RebalanceFactor);
    }

    [Theory]
    [InlineData("Redistribute", FailoverMode.Redistribute)]
    [InlineData("redistribute", FailoverMode.Redistribute)]
    [InlineData("Return503Error", FailoverMode.Return503Error)]
    [InlineData("RETURN503ERROR", FailoverMode.Return503Error)]
    [InlineData("503", FailoverMode.Return503Error)]
    public void FailoverAcceptsYarpsNamesInAnyCaseAndTheAlias503(string value, FailoverMode expected)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Failover", value)), out var options, out _);

        Assert.True(ok);
        Assert.Equal(expected, options!.Failover);
    }

    [Theory]
    [InlineData("Gateway:Failover", "sideways", "Invalid failover 'sideways' (--failover or Gateway:Failover): expected Redistribute or Return503Error")]
    [InlineData("Gateway:Failover", "1", "Invalid failover '1'")]
    [InlineData("Gateway:Failover", " 1", "Invalid failover ' 1'")]
    [InlineData("Gateway:Store", "disk", "Invalid store 'disk' (--store or Gateway:Store): expected memory, redis or replicated.")]
    [InlineData("Gateway:Replication", "eventually", "Invalid replication 'eventually' (--replication or Gateway:Replication): expected sync or async.")]
    [InlineData("Gateway:Store", "0", "Invalid store '0'")]
    [InlineData("Gateway:Backends", "17", "Invalid backends '17' (--backends or Gateway:Backends): expected a whole number from 1 to 16.")]
    [InlineData("Gateway:Backends", "-1", "Invalid backends '-1'")]
    [InlineData("Gateway:IdleTimeout", "0", "Invalid idle-timeout '0' (--idle-timeout or Gateway:IdleTimeout): expected a whole number from 1 to 86400.")]
    [InlineData("Gateway:Port", "70000", "Invalid port '70000' (--port or Gateway:Port): expected a whole number from 0 to 65535.")]
    [InlineData("Gateway:AdminPort", "x", "Invalid admin-port 'x' (--admin-port or Gateway:AdminPort)")]
    [InlineData("Gateway:Affinity", "sometimes", "Invalid affinity 'sometimes' (--affinity or Gateway:Affinity): expected on or off.")]
    [InlineData("Gateway:BackendPort", "65535", "Invalid backend-port '65535' (--backend-port or Gateway:BackendPort): expected a whole number from 1 to 65533.")]
    [InlineData("Gateway:Balance", "Fastest", "Invalid balance 'Fastest' (--balance or Gateway:Balance): expected LeastSessions, RoundRobin, PowerOfTwoChoices, LeastRequests, Random or First.")]
    [InlineData("Gateway:Rebalance", "0.9", "Invalid rebalance '0.9' (--rebalance or Gateway:Rebalance): expected off or a factor above 1 (at most 100), such as 1.25.")]
    [InlineData("Gateway:Rebalance", "sometimes", "Invalid rebalance 'sometimes'")]
    [InlineData("Gateway:Rebalance", "1.25", "Invalid rebalance '1.25' (--rebalance or Gateway:Rebalance): refused in memory mode, where moving a user to another backend logs it out; use --store redis or replicated, or --rebalance off.")]
    [InlineData("Gateway:SlowStart", "-1", "Invalid slow-start '-1' (--slow-start or Gateway:SlowStart): expected a number from 0 to 3600.")]
    [InlineData("Gateway:Spawn", "yes", "Invalid spawn 'yes' (--spawn or Gateway:Spawn): expected true or false.")]
    [InlineData("Gateway:Redis", "localhost:6379,bogus=1", "Invalid redis 'localhost:6379,bogus=1' (--redis or Gateway:Redis): expected a StackExchange.Redis configuration string")]
    [InlineData("Gateway:Redis", "localhost:6379,syncTimeout=soon", "Invalid redis 'localhost:6379,syncTimeout=soon'")]
    [InlineData("Gateway:Redis", "ssl=true", "Invalid redis 'ssl=true'")]
    [InlineData("Gateway:Listen:0", "tcp://0.0.0.0:80", "Invalid listen 'tcp://0.0.0.0:80' (--listen or Gateway:Listen): expected an http:// or https:// URL.")]
    [InlineData("Gateway:Listen:0", "http://gateway.example:80", "Invalid listen 'http://gateway.example:80' (--listen or Gateway:Listen): expected an address to bind")]
    [InlineData("Gateway:Listen:0", "https://0.0.0.0:8443", "Invalid listen 'https://0.0.0.0:8443' (--listen): an https:// listener needs --certificate")]
    [InlineData("Gateway:Certificate", "/tmp/cert.pem", "Invalid certificate '/tmp/cert.pem' (--certificate): no listener uses it; add an https:// --listen or --admin-listen URL.")]
    [InlineData("Gateway:CertificateKey", "/tmp/key.pem", "Invalid certificate-key '/tmp/key.pem' (--certificate-key): it is the key of --certificate, which is not given.")]
    [InlineData("Gateway:PinMaxIdle", "0", "Invalid pin-max-idle '0' (--pin-max-idle or Gateway:PinMaxIdle): expected a whole number from 1 to 31536000.")]
    [InlineData("Gateway:PinMaxLife", "soon", "Invalid pin-max-life 'soon' (--pin-max-life or Gateway:PinMaxLife): expected a whole number from 1 to 31536000.")]
    public void ABadValueIsOneLineNamingTheOptionTheValueAndWhatIsAllowed(string key, string value, string expected)
    {
        var ok = GatewayOptionsBinding.TryRead(Config((key, value)), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("127.0.0.1:6379")]
    [InlineData("localhost")]
    [InlineData("redis.example.com:6380,password=secret,ssl=true,abortConnect=false")]
    [InlineData("127.0.0.1:6379,user=app,password=secret")]
    [InlineData("127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381,serviceName=mymaster")]
    public void RedisTakesAStackExchangeRedisConfigurationString(string value)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Store", "redis"), ("Gateway:Redis", value)), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(value, options!.Redis);
    }

    [Fact]
    public void AnUnusableRedisStringIsOneLineWithThePasswordHidden()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Redis", "127.0.0.1:6379,password=hunter2,syncTimeout=soon")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("Invalid redis '127.0.0.1:6379,password=*****,syncTimeout=soon'", error);
        Assert.Contains("Keyword 'syncTimeout' requires an integer value", error);
        Assert.DoesNotContain("hunter2", error);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("ftp://10.0.0.5", "Invalid backend 'ftp://10.0.0.5' (--backend or Gateway:Backend): expected an absolute http:// or https:// URL such as http://10.0.0.5:8080")]
    [InlineData("10.0.0.5:8080", "Invalid backend '10.0.0.5:8080' (--backend or Gateway:Backend): expected an absolute http:// or https:// URL")]
    [InlineData("/app", "Invalid backend '/app' (--backend or Gateway:Backend): expected an absolute http:// or https:// URL")]
    [InlineData("http://10.0.0.5:8080/?x=1", "Invalid backend 'http://10.0.0.5:8080/?x=1' (--backend or Gateway:Backend): expected an absolute http:// or https:// URL")]
    public void ABackendThatIsNotAnHttpUrlIsOneLineNamingTheOptionAndTheValue(string url, string expected)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Spawn", "false"), ("Gateway:Backend:0", "http://127.0.0.1:8080"), ("Gateway:Backend:1", url)), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void ABackendUrlWhileSpawningIsRefused()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Backend:0", "http://10.0.0.5:8080")), out _, out var error);

        Assert.False(ok);
        Assert.Equal("Invalid backend 'http://10.0.0.5:8080' (--backend or Gateway:Backend): expected it only with --spawn false (a gateway that spawns its backends runs them on 127.0.0.1 itself).", error);
    }

    [Fact]
    public void MoreThanSixteenBackendUrlsAreRefused()
    {
        var urls = Enumerable.Range(0, 17).Select(i => ($"Gateway:Backend:{i}", $"http://10.0.0.{i + 1}:8080"));

        var ok = GatewayOptionsBinding.TryRead(Config([("Gateway:Spawn", "false"), .. urls]), out _, out var error);

        Assert.False(ok);
        Assert.Equal("Too many backends (17) (--backend or Gateway:Backend): expected at most 16.", error);
    }

    [Fact]
    public void BackendUrlsWithSpawnFalseAreKeptInTheOrderGiven()
    {
        var ok = GatewayOptionsBinding.TryRead(
            Config(("Gateway:Spawn", "false"), ("Gateway:Backend:0", "http://10.0.0.7:8080"), ("Gateway:Backend:1", "https://app.example.com/base/")),
            out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(["http://10.0.0.7:8080", "https://app.example.com/base/"], options!.Backend);
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("")]
    [InlineData("off")]
    public void AHealthPathThatIsNotAPathOrNoneIsOneLine(string value)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:HealthPath", value)), out _, out var error);

        Assert.False(ok);
        Assert.Equal($"Invalid health-path '{value}' (--health-path or Gateway:HealthPath): expected a path starting with / (such as /healthz or /), or none for passive health only.", error);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/status/ready")]
    [InlineData("none")]
    [InlineData("NONE")]
    public void AHealthPathIsAPathOrNone(string value)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:HealthPath", value)), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(value, options!.HealthPath);
    }

    [Theory]
    [InlineData("Http1")]
    [InlineData("Yarp")]
    public void TheRemovedForwarderOptionStopsStartUpSayingItWasRemoved(string value)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Forwarder", value)), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("The option --forwarder (Gateway:Forwarder) was removed: every request goes through YARP's forwarder.", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TheSameGatewayAndAdminPortIsRefused()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Port", "7000"), ("Gateway:AdminPort", "7000")), out _, out var error);

        Assert.False(ok);
        Assert.Contains("admin-port '7000'", error);
    }

    [Fact]
    public void AGatewayPortAmongTheBackendPortsIsRefused()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Port", "5102")), out _, out var error);

        Assert.False(ok);
        Assert.Contains("the backends use ports 5101-5103", error);
    }

    [Theory]
    [InlineData("HashCookie")]
    [InlineData("Cookie")]
    [InlineData("ServerCookie")]
    public void EveryAffinityPolicyOfYarpAndStickyLbsOwnIsAccepted(string policy)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("ReverseProxy:Clusters:backends:SessionAffinity:Policy", policy)), out _, out var error);

        Assert.True(ok, error);
    }

    [Theory]
    [InlineData("AuthorizationPolicy", "default")]
    [InlineData("CorsPolicy", "everyone")]
    public void ARoutePolicyNeedingMiddlewareTheGatewayDoesNotRunIsRefused(string setting, string value)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(($"ReverseProxy:Routes:gateway:{setting}", value)), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith($"Unsupported ReverseProxy:Routes:gateway:{setting} '{value}'", error);
    }

    [Fact]
    public void AffinityWithoutAPolicyIsAcceptedForYarpToPickHashCookie()
    {
        var ok = GatewayOptionsBinding.TryRead(
            Config(("ReverseProxy:Clusters:backends:SessionAffinity:Policy", ""), ("ReverseProxy:Clusters:backends:SessionAffinity:Enabled", "true")),
            out _,
            out var error);

        Assert.True(ok, error);
    }

    [Fact]
    public void AConfigurationWithoutTheBackendsClusterIsRefused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([]).Build();

        var ok = GatewayOptionsBinding.TryRead(configuration, out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("Missing ReverseProxy:Clusters:backends", error);
    }

    private const string PinKey = "a-pin-key-of-at-least-32-bytes-0123456789";

    [Fact]
    public void PinLifetimesAreOffByDefault()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(((int?)null, (int?)null, false), (options!.PinMaxIdle, options.PinMaxLife, options.HasPinLifetimes));
    }

    [Fact]
    public void PinLifetimesWithASharedKeyPass()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:PinMaxIdle", "600"), ("Gateway:PinMaxLife", "3600"), ("Gateway:PinKey", " " + PinKey + " ")), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal((600, 3600, PinKey), (options!.PinMaxIdle, options.PinMaxLife, options.PinKey));
    }

    [Theory]
    [InlineData("Gateway:PinMaxIdle", "--pin-max-idle")]
    [InlineData("Gateway:PinMaxLife", "--pin-max-life")]
    public void APinLifetimeWithoutAKeyIsOneLineSayingWhereToPutIt(string key, string option)
    {
        var ok = GatewayOptionsBinding.TryRead(Config((key, "600")), out _, out var error);

        Assert.False(ok);
        Assert.Equal($"The option {option} ({key}) needs a key that every gateway shares, to sign the pin's times in the cookie: set the environment variable STICKYLB_PIN_KEY (or Gateway:PinKey) to at least 32 random characters, e.g. the output of 'openssl rand -base64 32'.", error);
    }

    [Fact]
    public void AShortPinKeyIsRefusedWithoutShowingIt()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:PinMaxIdle", "600"), ("Gateway:PinKey", "short-secret-31-bytes-long-xxxx")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("The pin key (STICKYLB_PIN_KEY or Gateway:PinKey) of --pin-max-idle is too short: HMAC-SHA256 needs at least 32 bytes", error);
        Assert.DoesNotContain("short-secret", error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void PinLifetimesWithAffinityOffAreRefused()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:PinMaxLife", "600"), ("Gateway:PinKey", PinKey), ("Gateway:Affinity", "off")), out _, out var error);

        Assert.False(ok);
        Assert.Equal("The option --pin-max-life (Gateway:PinMaxLife) needs --affinity on: without affinity there is no pin to expire.", error);
    }

    /// <summary>The least configuration that passes, plus <paramref name="values"/>.</summary>
    internal static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ReverseProxy:Clusters:backends:SessionAffinity:Enabled"] = "true",
                ["ReverseProxy:Clusters:backends:SessionAffinity:Policy"] = "ServerCookie",
            })
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)))
            .Build();

    [Theory]
    [InlineData("replicated", "sync", StoreMode.Replicated, ReplicationMode.Sync)]
    [InlineData("Replicated", "ASYNC", StoreMode.Replicated, ReplicationMode.Async)]
    public void ReplicatedModeAndItsReplicationAreReadInAnyCase(string store, string replication, StoreMode expectedStore, ReplicationMode expectedReplication)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Store", store), ("Gateway:Replication", replication)), out var options, out _);

        Assert.True(ok);
        Assert.Equal((expectedStore, expectedReplication), (options!.Store, options.Replication));
    }

    [Theory]
    [InlineData("on", AffinityMode.On)]
    [InlineData("OFF", AffinityMode.Off)]
    [InlineData("true", AffinityMode.On)]
    [InlineData("False", AffinityMode.Off)]
    public void AffinityIsOnOrOffAndTakesTrueOrFalseAsAppsettingsWouldWriteIt(string value, AffinityMode expected)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Affinity", value)), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(expected, options!.Affinity);
    }
    [Theory]
    [InlineData("http://127.0.0.1:7001", null)]
    [InlineData("http://localhost:7001", null)]
    [InlineData("http://[::1]:7001", null)]
    [InlineData("http://0.0.0.0:7001", "a-token")]
    [InlineData("http://[::]:7001", "a-token")]
    [InlineData("http://*:7001", "a-token")]
    [InlineData("http://192.0.2.10:7001", "a-token")]
    public void AdminListenTakesAnyAddressAndOffLoopbackATokenToo(string url, string? token)
    {
        (string, string)[] values = token is null ? [("Gateway:AdminListen", url)] : [("Gateway:AdminListen", url), ("Gateway:AdminToken", token)];

        var ok = GatewayOptionsBinding.TryRead(Config(values), out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal(7001, StickyLb.Proxy.Admin.AdminListenAddress.From(options!).Port);
    }

    [Theory]
    [InlineData("http://0.0.0.0:7001")]
    [InlineData("http://[::]:7001")]
    [InlineData("http://*:7001")]
    public void AnAdminListenerOffLoopbackWithoutATokenStopsStartUpInOneLine(string url)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:AdminListen", url), ("Gateway:AdminToken", "  ")), out _, out var error);

        Assert.False(ok);
        Assert.Equal($"The admin listener '{url}' (--admin-listen or Gateway:AdminListen) is not on loopback, so every admin request needs a bearer token: set the environment variable STICKYLB_ADMIN_TOKEN (or Gateway:AdminToken).", error);
    }

    [Theory]
    [InlineData("https://0.0.0.0:7001", "Invalid admin-listen 'https://0.0.0.0:7001' (--admin-listen): an https:// listener needs --certificate")]
    [InlineData("admin.example.com:7001", "Invalid admin-listen 'admin.example.com:7001' (--admin-listen or Gateway:AdminListen): expected an http:// or https:// URL")]
    [InlineData("http://admin.example.com:7001", "Invalid admin-listen 'http://admin.example.com:7001' (--admin-listen or Gateway:AdminListen): expected an http:// or https:// URL")]
    [InlineData("http://127.0.0.1:7001/admin", "Invalid admin-listen 'http://127.0.0.1:7001/admin'")]
    [InlineData("http://localhost:0", "Invalid admin-listen 'http://localhost:0'")]
    [InlineData("http://unix:/tmp/admin.sock", "Invalid admin-listen 'http://unix:/tmp/admin.sock'")]
    public void AnAdminListenUrlKestrelCannotBindForItIsOneLineThatNeverShowsTheToken(string url, string expected)
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:AdminListen", url), ("Gateway:AdminToken", "the-secret-token")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain("the-secret-token", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AdminPortWithAdminListenIsOneLineError()
    {
        var ok = GatewayOptionsBinding.TryRead(
            Config(("Gateway:AdminPort", "7002"), ("Gateway:AdminListen", "http://0.0.0.0:7001"), ("Gateway:AdminToken", "the-secret-token")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("The options --admin-port (Gateway:AdminPort) and --admin-listen (Gateway:AdminListen) exclude each other", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain("the-secret-token", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAdminListenerOnTheGatewayPortIsRefused()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:Port", "7000"), ("Gateway:AdminListen", "http://127.0.0.1:7000")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("Invalid admin-listen 'http://127.0.0.1:7000' (--admin-listen or Gateway:AdminListen): its port must differ from the gateway port.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAdminListenTheAdminListenerIsLoopbackOnTheAdminPort()
    {
        var ok = GatewayOptionsBinding.TryRead(Config(("Gateway:AdminPort", "7002")), out var options, out var error);
        var address = StickyLb.Proxy.Admin.AdminListenAddress.From(options!);

        Assert.True(ok, error);
        Assert.Equal((System.Net.IPAddress.Loopback, 7002, true), (address.Address, address.Port, address.IsLoopback));
    }
}
