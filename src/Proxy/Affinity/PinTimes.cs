namespace StickyLb.Proxy.Affinity;

/// <summary>A pin's times, as they travel in the <c>server</c> cookie (<see cref="PinCookieCodec"/>): Unix seconds.</summary>
/// <param name="Created">When the pin was placed; never changes while the pin lives (<c>--pin-max-life</c>).</param>
/// <param name="LastUsed">When a request last used the pin, as of its last refresh (<c>--pin-max-idle</c>).</param>
internal readonly record struct PinTimes(long Created, long LastUsed);
