using StickyLb.BackendApp.Replicated;

namespace StickyLb.Tests.Backend.Replicated;

public sealed class ReplicatedEntryTests
{
    [Fact]
    public void AnEntryDecodesToWhatWasEncoded()
    {
        var entry = new ReplicatedEntry("ключ-session", 638_000_000_000_000_000, TimeSpan.FromMinutes(20).Ticks, ReplicatedEntry.NotSet, 637_999_000_000_000_000, [1, 2, 3, 250]);

        var ok = ReplicatedEntry.TryDecode(entry.Encode(), out var decoded);

        Assert.True(ok);
        Assert.Equal((entry.Key, entry.ExpiresAtTicks, entry.SlidingTicks, entry.AbsoluteTicks, entry.WrittenAtTicks), (decoded.Key, decoded.ExpiresAtTicks, decoded.SlidingTicks, decoded.AbsoluteTicks, decoded.WrittenAtTicks));
        Assert.Equal(entry.Data, decoded.Data);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255 })]
    public void BytesThisVersionDidNotWriteAreNoEntry(byte[] bytes)
    {
        var ok = ReplicatedEntry.TryDecode(bytes, out _);

        Assert.False(ok);
    }

    [Fact]
    public void TheExpiryIsTheSoonerOfTheSlidingWindowAndTheAbsoluteExpiration()
    {
        var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var sliding = TimeSpan.FromMinutes(20).Ticks;

        var slidingOnly = ReplicatedDistributedCache.ExpiresAt(now, ReplicatedEntry.NotSet, sliding);
        var absoluteFirst = ReplicatedDistributedCache.ExpiresAt(now, now.AddMinutes(5).UtcTicks, sliding);
        var neither = ReplicatedDistributedCache.ExpiresAt(now, ReplicatedEntry.NotSet, ReplicatedEntry.NotSet);

        Assert.Equal(now.AddMinutes(20).UtcTicks, slidingOnly);
        Assert.Equal(now.AddMinutes(5).UtcTicks, absoluteFirst);
        Assert.Equal(long.MaxValue, neither);
    }
}
