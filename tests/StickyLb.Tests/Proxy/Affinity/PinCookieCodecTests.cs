using System.Text;
using StickyLb.Proxy.Affinity;

namespace StickyLb.Tests.Proxy.Affinity;

public sealed class PinCookieCodecTests
{
    internal const string Key = "test-pin-key-0123456789abcdefghijklmnopqrstuvwxyz";

    private static readonly PinCookieCodec Codec = new(PinCookieCodec.KeyBytes(Key));

    [Fact]
    public void APinReadsBackWithItsIdAndTimes()
    {
        var value = Codec.Encode("2", new PinTimes(1_765_152_000, 1_765_152_310));

        var status = Codec.TryDecode(value, out var id, out var times);

        Assert.Equal(ServerCookieStatus.WellFormed, status);
        Assert.Equal("2", id.ToString());
        Assert.Equal(new PinTimes(1_765_152_000, 1_765_152_310), times);
    }

    [Fact]
    public void APinStartsWithItsReadableIdAndTimes()
    {
        var value = Codec.Encode("backend-2", new PinTimes(100, 250));

        Assert.Matches(@"^backend-2\.100\.250\.[A-Za-z0-9_-]{43}$", value);
        Assert.True(value.Length <= PinCookieCodec.MaxValueLength);
    }

    [Fact]
    public void AChangedMacIsTampered()
    {
        var value = Codec.Encode("2", new PinTimes(100, 250));
        var last = value[^1] == 'A' ? 'B' : 'A';

        var status = Codec.TryDecode(value[..^1] + last, out var id, out _);

        Assert.Equal(ServerCookieStatus.Tampered, status);
        Assert.True(id.IsEmpty);
    }

    [Theory]
    [InlineData("2.100.250.", "2.100.999.")]
    [InlineData("2.100.250.", "2.900.250.")]
    [InlineData("2.100.250.", "3.100.250.")]
    [InlineData("2.100.250.", "2.0100.250.")]
    public void AChangedTimeOrIdKeepingTheMacIsTampered(string original, string edited)
    {
        var value = Codec.Encode("2", new PinTimes(100, 250));

        var status = Codec.TryDecode(value.Replace(original, edited, StringComparison.Ordinal), out _, out _);

        Assert.Equal(ServerCookieStatus.Tampered, status);
    }

    [Fact]
    public void APinSignedWithAnotherKeyIsTampered()
    {
        using var other = new PinCookieCodec(PinCookieCodec.KeyBytes(Key.ToUpperInvariant()));
        var value = other.Encode("2", new PinTimes(100, 250));

        var status = Codec.TryDecode(value, out _, out _);

        Assert.Equal(ServerCookieStatus.Tampered, status);
    }

    [Fact]
    public void APlainIdWithoutTimesIsTamperedSinceNothingVouchesForIt()
    {
        var status = Codec.TryDecode("2", out var id, out _);

        Assert.Equal(ServerCookieStatus.Tampered, status);
        Assert.True(id.IsEmpty);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("2.100.250")]
    [InlineData("2.100.250.short")]
    [InlineData("2.100.x50.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2.-100.250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2..250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData(".100.250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2.100.250.9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("../1.100.250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2.100.250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("2.99999999999999999999.250.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2%2E100")]
    public void AValueThatIsNotShapedAsAPinIsMalformed(string value)
    {
        var status = Codec.TryDecode(value, out var id, out _);

        Assert.Equal(ServerCookieStatus.Malformed, status);
        Assert.True(id.IsEmpty);
    }

    [Fact]
    public void NoValueAClientCanSendThrowsEveryOneIsAStatus()
    {
        // A fixed seed: the same 5,000 values on every run, mutations of a real pin and random cookie text.
        var random = new Random(31);
        var pin = Codec.Encode("2", new PinTimes(100, 250));
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.=+/%!~ ";
        var values = new List<string> { pin[..^1] + "B", pin[..^1] + "_", pin[..^1] + "=", pin + "=", pin.Replace('.', '_') };
        for (var i = 0; i < 5000; i++)
        {
            var chars = (i % 2 == 0 ? pin : new string('A', random.Next(0, PinCookieCodec.MaxValueLength + 2))).ToCharArray();
            for (var n = random.Next(1, 4); n > 0 && chars.Length > 0; n--)
            {
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }

            values.Add(new string(chars));
        }

        var statuses = values.Select(v => Codec.TryDecode(v, out _, out _)).ToList();

        Assert.All(statuses, s => Assert.Contains(s, new[] { ServerCookieStatus.WellFormed, ServerCookieStatus.Tampered, ServerCookieStatus.Malformed, ServerCookieStatus.Oversized }));
        Assert.Contains(ServerCookieStatus.Tampered, statuses);
    }

    [Fact]
    public void AValueLongerThanAnyPinIsOversized()
    {
        var status = Codec.TryDecode(new string('1', PinCookieCodec.MaxValueLength + 1), out _, out _);

        Assert.Equal(ServerCookieStatus.Oversized, status);
    }

    [Fact]
    public void AKeyShorterThan32BytesIsRefused()
    {
        var key = Encoding.UTF8.GetBytes(new string('k', PinCookieCodec.MinKeyBytes - 1));

        Assert.Throws<ArgumentException>(() => new PinCookieCodec(key));
    }
}
