using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using StickyLb.Proxy.Affinity;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Affinity;

public sealed class PinLifetimeTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_765_152_000));

    [Fact]
    public void WithoutLifetimesTheCookieIsThePlainIdAsEver()
    {
        using var pins = new PinLifetime(null, null, null, _time);

        var value = pins.NewPin("2");
        var status = pins.Read(Context("server=2"), "server", out var id);

        Assert.False(pins.IsOn);
        Assert.Equal("2", value);
        Assert.Equal((ServerCookieStatus.WellFormed, "2"), (status, id.ToString()));
    }

    [Fact]
    public void AFreshPinIsValid()
    {
        using var pins = new PinLifetime(60, 3600, PinCookieCodecTests.Key, _time);
        var cookie = "server=" + pins.NewPin("2");
        _time.Advance(TimeSpan.FromSeconds(59));

        var status = pins.Read(Context(cookie), "server", out var id);

        Assert.Equal((ServerCookieStatus.WellFormed, "2"), (status, id.ToString()));
    }

    [Fact]
    public void APinUnusedForLongerThanMaxIdleHasExpired()
    {
        using var pins = new PinLifetime(60, null, PinCookieCodecTests.Key, _time);
        var cookie = "server=" + pins.NewPin("2");
        _time.Advance(TimeSpan.FromSeconds(61));

        var context = Context(cookie);
        var status = pins.Read(context, "server", out var id);

        Assert.Equal(ServerCookieStatus.Expired, status);
        Assert.True(id.IsEmpty);
        // The expired pin's backend stays known for the log line.
        Assert.Equal("2", PinLifetime.Known(context)!.Id);
    }

    [Fact]
    public void APinKeptInUseStillExpiresAfterMaxLife()
    {
        using var pins = new PinLifetime(60, 300, PinCookieCodecTests.Key, _time);
        var value = pins.NewPin("2");
        var statuses = new List<ServerCookieStatus>();

        // A request every 30 seconds, each taking the refreshed cookie when the response sends one.
        for (var second = 30; second <= 330; second += 30)
        {
            _time.Advance(TimeSpan.FromSeconds(30));
            var context = Context("server=" + value);
            statuses.Add(pins.Read(context, "server", out _));
            value = pins.Refreshed(context) ?? value;
        }

        Assert.All(statuses[..10], s => Assert.Equal(ServerCookieStatus.WellFormed, s));
        Assert.Equal(ServerCookieStatus.Expired, statuses[10]);
    }

    [Fact]
    public void TheLastUseIsRefreshedOnlyOnceItIsASixteenthOfMaxIdleOld()
    {
        using var pins = new PinLifetime(160, null, PinCookieCodecTests.Key, _time);
        var cookie = "server=" + pins.NewPin("2");

        _time.Advance(TimeSpan.FromSeconds(9));
        var early = Context(cookie);
        pins.Read(early, "server", out _);
        _time.Advance(TimeSpan.FromSeconds(1));
        var due = Context(cookie);
        pins.Read(due, "server", out _);
        var refreshed = pins.Refreshed(due);

        Assert.Equal(10, pins.RefreshAfter);
        Assert.Null(pins.Refreshed(early));
        Assert.NotNull(refreshed);
        var again = Context("server=" + refreshed);
        pins.Read(again, "server", out _);
        Assert.Equal(new PinTimes(1_765_152_000, 1_765_152_010), PinLifetime.Known(again)!.Times);
    }

    [Fact]
    public void WithoutMaxIdleTheLastUseIsNeverRefreshed()
    {
        using var pins = new PinLifetime(null, 300, PinCookieCodecTests.Key, _time);
        var cookie = "server=" + pins.NewPin("2");
        _time.Advance(TimeSpan.FromSeconds(299));

        var context = Context(cookie);
        var status = pins.Read(context, "server", out _);

        Assert.Equal(ServerCookieStatus.WellFormed, status);
        Assert.Null(pins.Refreshed(context));
    }

    [Fact]
    public void ATamperedTimeIsTamperedNotExpiredNorValid()
    {
        using var pins = new PinLifetime(60, null, PinCookieCodecTests.Key, _time);
        var value = pins.NewPin("2");
        _time.Advance(TimeSpan.FromSeconds(120));
        // The client moves its last use to now to keep an idle pin.
        var parts = value.Split('.');
        var forged = $"server={parts[0]}.{parts[1]}.{_time.GetUtcNow().ToUnixTimeSeconds()}.{parts[3]}";

        var status = pins.Read(Context(forged), "server", out _);

        Assert.Equal(ServerCookieStatus.Tampered, status);
    }

    [Fact]
    public void TheMacIsCheckedOncePerRequestAndEveryStepSeesTheSameAnswer()
    {
        using var pins = new PinLifetime(60, null, PinCookieCodecTests.Key, _time);
        var context = Context("server=" + pins.NewPin("2"));

        var first = pins.Read(context, "server", out _);
        // Past max idle now, but this request was read as valid: drain, failover and the response agree with it.
        _time.Advance(TimeSpan.FromSeconds(120));
        var second = pins.Read(context, "server", out _);
        var known = PinLifetime.ReadKnown(context, "server", out var id);

        Assert.Equal((ServerCookieStatus.WellFormed, ServerCookieStatus.WellFormed, ServerCookieStatus.WellFormed), (first, second, known));
        Assert.Equal("2", id.ToString());
    }

    [Fact]
    public void ARepeatedCookieIsRepeatedWithLifetimesToo()
    {
        using var pins = new PinLifetime(60, null, PinCookieCodecTests.Key, _time);
        var value = pins.NewPin("2");

        var status = pins.Read(Context($"server={value}; server={value}"), "server", out _);

        Assert.Equal(ServerCookieStatus.Repeated, status);
    }

    [Theory]
    [InlineData(600, 1200, "memory", true, 1200)]
    [InlineData(1200, 1200, "memory", true, null)]
    [InlineData(600, 1200, "redis", true, null)]
    [InlineData(600, 1200, "memory", false, null)]
    public void AWarningWhenAnIdlePinIsReplacedWhileItsMemorySessionLives(int pinMaxIdle, int idleTimeout, string store, bool spawn, int? expected)
    {
        var options = new GatewayOptions
        {
            PinMaxIdle = pinMaxIdle,
            IdleTimeout = idleTimeout,
            Store = store == "memory" ? StoreMode.Memory : StoreMode.Redis,
            Spawn = spawn,
        };

        var warnAbout = PinLifetime.OutlivesPins(options);

        Assert.Equal(expected, warnAbout);
    }

    private static DefaultHttpContext Context(string cookie)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = cookie;
        return context;
    }
}
