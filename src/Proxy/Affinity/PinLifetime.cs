using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// Pin lifetimes, as HAProxy's <c>maxidle</c>/<c>maxlife</c>: with <c>--pin-max-idle</c> or <c>--pin-max-life</c> the
/// <c>server</c> cookie carries when the pin was placed and last used, under a MAC (<see cref="PinCookieCodec"/>), and
/// a pin idle longer or older than allowed is no pin: the request is placed afresh, as a client without a cookie is.
/// Without either option (the default) nothing here runs and the cookie stays exactly <c>server=N</c>.
/// <para>
/// The last use is refreshed in the cookie (a new <c>Set-Cookie</c>) only once it is <see cref="RefreshAfter"/> old:
/// a sixteenth of <c>--pin-max-idle</c>, at least one second, so an active client gets one <c>Set-Cookie</c> per
/// that interval at most rather than one per response. The price is precision: a pin may be re-placed after an idle
/// time between <c>max-idle - RefreshAfter</c> and <c>max-idle</c> (plus under a second, the times being whole
/// seconds): about 6% early at worst. Without <c>--pin-max-idle</c> the last use is never refreshed (nothing reads it).
/// </para>
/// </summary>
internal sealed class PinLifetime : IDisposable
{
    private readonly PinCookieCodec? _codec;
    private readonly long? _maxIdle;
    private readonly long? _maxLife;
    private readonly TimeProvider _time;

    public PinLifetime(IOptions<GatewayOptions> options, TimeProvider time)
        : this(options.Value.PinMaxIdle, options.Value.PinMaxLife, options.Value.PinKey, time)
    {
    }

    /// <param name="maxIdle">Seconds a pin may go unused; null: no limit.</param>
    /// <param name="maxLife">Seconds a pin may live; null: no limit.</param>
    /// <param name="key">The shared key; validated at start-up (<see cref="GatewayOptionsValidator"/>) when either limit is set.</param>
    /// <param name="time">The clock.</param>
    internal PinLifetime(int? maxIdle, int? maxLife, string? key, TimeProvider time)
    {
        _maxIdle = maxIdle;
        _maxLife = maxLife;
        _time = time;
        if (maxIdle is not null || maxLife is not null)
        {
            _codec = new PinCookieCodec(PinCookieCodec.KeyBytes(key ?? throw new ArgumentNullException(nameof(key), "Pin lifetimes need a key.")));
        }

        RefreshAfter = maxIdle is { } idle ? Math.Max(1, idle / 16) : long.MaxValue;
    }

    /// <summary>Whether pins have lifetimes (and the cookie carries times).</summary>
    public bool IsOn => _codec is not null;

    /// <summary>How old, in seconds, the last use in a cookie may get before a response refreshes it.</summary>
    public long RefreshAfter { get; }

    /// <summary>
    /// Reads the request's pin from cookie <paramref name="name"/>. Without lifetimes: <see cref="ServerCookieReader.Read"/>
    /// as ever. With them: the MAC and the times are checked once per request and the answer kept on it
    /// (<see cref="RequestPin"/>) for <see cref="ReadKnown"/>; a pin that is genuine but too idle or too old is
    /// <see cref="ServerCookieStatus.Expired"/>, one whose MAC fails <see cref="ServerCookieStatus.Tampered"/>.
    /// </summary>
    public ServerCookieStatus Read(HttpContext context, string name, out ReadOnlySpan<char> id)
    {
        if (_codec is null)
        {
            return ServerCookieReader.Read(context.Request.Headers.Cookie, name, out id);
        }

        if (context.Features.Get<RequestPin>() is not { } pin)
        {
            pin = Resolve(context, name);
            context.Features.Set(pin);
        }

        id = pin.Status == ServerCookieStatus.WellFormed ? pin.Id : default;
        return pin.Status;
    }

    /// <summary>
    /// The request's pin for code that has no <see cref="PinLifetime"/> at hand (the affinity header, drain, the
    /// failover policies): what <see cref="Read"/> found when pins have lifetimes (the affinity step always runs
    /// first), else the plain cookie.
    /// </summary>
    public static ServerCookieStatus ReadKnown(HttpContext context, string name, out ReadOnlySpan<char> id)
    {
        if (context.Features.Get<RequestPin>() is { } pin)
        {
            id = pin.Status == ServerCookieStatus.WellFormed ? pin.Id : default;
            return pin.Status;
        }

        return ServerCookieReader.Read(context.Request.Headers.Cookie, name, out id);
    }

    /// <summary>The request's pin as <see cref="Read"/> found it, with its times; null without lifetimes or before a read.</summary>
    public static RequestPin? Known(HttpContext context) => context.Features.Get<RequestPin>();

    /// <summary>The cookie value of a pin placed now on destination <paramref name="id"/>: the plain id without lifetimes.</summary>
    public string NewPin(string id)
    {
        if (_codec is null)
        {
            return id;
        }

        var now = Now();
        return _codec.Encode(id, new PinTimes(now, now));
    }

    /// <summary>
    /// The cookie value that moves the last use of the request's (valid) pin to now, when its last use is at least
    /// <see cref="RefreshAfter"/> old; null when no refresh is due. The time it was placed is kept.
    /// </summary>
    public string? Refreshed(HttpContext context)
    {
        if (_codec is null || Known(context) is not { Status: ServerCookieStatus.WellFormed } pin)
        {
            return null;
        }

        var now = pin.ReadAt;
        return now - pin.Times.LastUsed >= RefreshAfter ? _codec.Encode(pin.Id, pin.Times with { LastUsed = now }) : null;
    }

    /// <summary>
    /// In memory mode with spawned backends: their session idle timeout (<c>--idle-timeout</c>, seconds) when it is
    /// longer than <c>--pin-max-idle</c>, so that a re-placed idle pin may lose a live session; else null (nothing to
    /// warn about, or the backends' timeout is not the gateway's to know).
    /// </summary>
    public static int? OutlivesPins(GatewayOptions options) =>
        options is { PinMaxIdle: { } pinIdle, Store: StoreMode.Memory, Spawn: true } && options.IdleTimeout > pinIdle ? options.IdleTimeout : null;

    /// <summary>Whether a genuine pin with <paramref name="times"/> has outlived either limit at <paramref name="now"/>.</summary>
    internal bool IsExpired(PinTimes times, long now) =>
        (_maxIdle is { } idle && now - times.LastUsed > idle) || (_maxLife is { } life && now - times.Created > life);

    private RequestPin Resolve(HttpContext context, string name)
    {
        var now = Now();
        var status = ServerCookieReader.Find(context.Request.Headers.Cookie, name, out var value);
        if (status != ServerCookieStatus.WellFormed)
        {
            return new RequestPin(status, "", default, now);
        }

        status = _codec!.TryDecode(value, out var id, out var times);
        if (status != ServerCookieStatus.WellFormed)
        {
            return new RequestPin(status, "", default, now);
        }

        return new RequestPin(IsExpired(times, now) ? ServerCookieStatus.Expired : ServerCookieStatus.WellFormed, id.ToString(), times, now);
    }

    /// <summary>Releases the MAC's per-thread state (the DI container calls it when the gateway stops).</summary>
    public void Dispose() => _codec?.Dispose();

    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds();
}
