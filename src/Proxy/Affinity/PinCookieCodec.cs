using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The <c>server</c> cookie's value when pins have lifetimes (<c>--pin-max-idle</c>, <c>--pin-max-life</c>):
/// <c>&lt;id&gt;.&lt;created&gt;.&lt;last used&gt;.&lt;mac&gt;</c>, for example
/// <c>2.1765152000.1765152310.q5Xl...</c> (43 characters of MAC). It still starts with the destination id, so
/// <c>server=2.</c> stays readable; the times are Unix seconds in decimal; the MAC is HMAC-SHA256 (the framework's
/// <see cref="HMACSHA256"/>, RFC 2104) over a fixed label and the first three parts, keyed by the key all gateways
/// share, in base64url without padding. A client can read its times but cannot change them, move them to another
/// backend or mint a pin, and every gateway with the same key reads the cookie alike. The MAC is compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time a comparison takes says nothing about the
/// right MAC. '.' is in no destination id (<see cref="ServerCookieReader"/>), so the parts never run together.
/// </summary>
internal sealed class PinCookieCodec : IDisposable
{
    /// <summary>
    /// The shortest key taken, in bytes: HMAC-SHA256's output length, below which RFC 2104 (section 3) says a key
    /// weakens the MAC. <c>openssl rand -base64 32</c> prints 44 characters.
    /// </summary>
    public const int MinKeyBytes = 32;

    /// <summary>The characters of the MAC: 32 bytes in base64url without padding.</summary>
    public const int MacChars = 43;

    /// <summary>The most digits of a time: <see cref="long.MaxValue"/> has 19.</summary>
    private const int MaxTimeDigits = 19;

    /// <summary>The longest value <see cref="TryDecode"/> looks at; anything longer is oversized.</summary>
    public const int MaxValueLength = AffinityDefaults.MaxCookieValueLength + 2 * (1 + MaxTimeDigits) + 1 + MacChars;

    /// <summary>
    /// Signed before the cookie's parts, so that a MAC made with the same key for anything else (and a later format of
    /// this cookie) is never a valid pin.
    /// </summary>
    private static ReadOnlySpan<byte> Label => "StickyLb pin v1\n"u8;

    /// <summary>The characters of base64url (RFC 4648, section 5), in the order of their values.</summary>
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>A MAC with a character outside base64url is malformed, never decoded.</summary>
    private static readonly SearchValues<char> Base64UrlChars = SearchValues.Create(Base64UrlAlphabet);

    /// <summary>
    /// One keyed HMAC per thread: a keyed instance reused took 0.5 us per MAC where the one-shot
    /// <see cref="HMACSHA256.HashData(byte[], byte[])"/>, which sets the key up every time, took 1.1 us (2 million
    /// 40-byte MACs on this 2-core machine), and an instance may not be shared between threads.
    /// </summary>
    private readonly ThreadLocal<HMACSHA256> _hmac;

    /// <param name="key">The shared key, at least <see cref="MinKeyBytes"/> bytes.</param>
    public PinCookieCodec(byte[] key)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"A pin key needs at least {MinKeyBytes} bytes.", nameof(key));
        }

        var copy = (byte[])key.Clone();
        // Values are not tracked: a thread-pool thread that retires leaves its HMAC to the garbage collector (whose
        // handle finalizer frees the native state) instead of in a list that would grow with every new thread.
        _hmac = new ThreadLocal<HMACSHA256>(() => new HMACSHA256(copy), trackAllValues: false);
    }

    /// <summary>Lets go of the per-thread HMACs (their native state is freed by their finalizers).</summary>
    public void Dispose() => _hmac.Dispose();

    /// <summary>The key's bytes as configured: the UTF-8 of <c>Gateway:PinKey</c> / <c>STICKYLB_PIN_KEY</c>.</summary>
    public static byte[] KeyBytes(string key) => Encoding.UTF8.GetBytes(key);

    /// <summary>The cookie value for a pin on <paramref name="id"/> (a well-formed destination id).</summary>
    public string Encode(string id, PinTimes times)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $"{id}.{times.Created}.{times.LastUsed}");
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Sign(body, mac);
        return string.Concat(body, ".", Base64Url.EncodeToString(mac));
    }

    /// <summary>
    /// Reads a cookie value: <see cref="ServerCookieStatus.WellFormed"/> with the id and times when its MAC is right;
    /// <see cref="ServerCookieStatus.Tampered"/> when it has the shape of a pin but the MAC is wrong (a time or the id
    /// edited, another key) or it has no times at all (a plain <c>server=N</c>, which would let a client keep a pin
    /// for ever); <see cref="ServerCookieStatus.Malformed"/> or <see cref="ServerCookieStatus.Oversized"/> otherwise.
    /// </summary>
    public ServerCookieStatus TryDecode(ReadOnlySpan<char> value, out ReadOnlySpan<char> id, out PinTimes times)
    {
        id = default;
        times = default;
        if (value.Length > MaxValueLength)
        {
            return ServerCookieStatus.Oversized;
        }

        var macAt = value.LastIndexOf('.');
        if (macAt < 0)
        {
            return IsId(value) ? ServerCookieStatus.Tampered : ServerCookieStatus.Malformed;
        }

        var body = value[..macAt];
        var macText = value[(macAt + 1)..];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        // Base64Url's decoder throws on a character outside its alphabet, and on a last character whose two unused
        // bits are not zero (43 characters carry 258 bits for 256): both are checked first, so no value throws.
        if (macText.Length != MacChars || macText.ContainsAnyExcept(Base64UrlChars) || (Base64UrlAlphabet.IndexOf(macText[^1], StringComparison.Ordinal) & 3) != 0
            || !Base64Url.TryDecodeFromChars(macText, given, out var written) || written != given.Length
            || !TrySplit(body, out var bodyId, out var created, out var lastUsed))
        {
            return ServerCookieStatus.Malformed;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Sign(body, expected);
        if (!CryptographicOperations.FixedTimeEquals(given, expected))
        {
            return ServerCookieStatus.Tampered;
        }

        id = bodyId;
        times = new PinTimes(created, lastUsed);
        return ServerCookieStatus.WellFormed;
    }

    private void Sign(ReadOnlySpan<char> body, Span<byte> mac)
    {
        // The body is ASCII (checked, or made of an id and digits): one byte per character.
        Span<byte> message = stackalloc byte[Label.Length + body.Length];
        Label.CopyTo(message);
        Encoding.ASCII.GetBytes(body, message[Label.Length..]);
        _hmac.Value!.TryComputeHash(message, mac, out _);
    }

    private static bool TrySplit(ReadOnlySpan<char> body, out ReadOnlySpan<char> id, out long created, out long lastUsed)
    {
        id = default;
        created = lastUsed = 0;
        var first = body.IndexOf('.');
        var last = body.LastIndexOf('.');
        if (first <= 0 || last == first)
        {
            return false;
        }

        id = body[..first];
        return IsId(id) && TryTime(body[(first + 1)..last], out created) && TryTime(body[(last + 1)..], out lastUsed);
    }

    private static bool TryTime(ReadOnlySpan<char> digits, out long seconds)
    {
        seconds = 0;
        return digits.Length is > 0 and <= MaxTimeDigits
            && !digits.ContainsAnyExceptInRange('0', '9')
            && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out seconds);
    }

    private static bool IsId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > AffinityDefaults.MaxCookieValueLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }
}
