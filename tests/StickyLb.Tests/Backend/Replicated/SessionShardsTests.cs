using StickyLb.BackendApp.Replicated;

namespace StickyLb.Tests.Backend.Replicated;

public sealed class SessionShardsTests
{
    [Theory]
    [InlineData("", 0xcbf29ce484222325)]
    [InlineData("a", 0xaf63dc4c8601ec8c)]
    [InlineData("foobar", 0x85944171f73967e8)]
    public void TheHashIsFnv1a64SoEveryProcessAgreesOnIt(string key, ulong expected)
    {
        var hash = SessionShards.Hash(key);

        Assert.Equal(expected, hash);
    }

    [Fact]
    public void AKeyLongerThanTheStackBufferHashesLikeItsBytes()
    {
        var key = new string('k', 1000);

        var hash = SessionShards.Hash(key);

        Assert.Equal(Reference(System.Text.Encoding.UTF8.GetBytes(key)), hash);
    }

    [Fact]
    public void SessionsSpreadOverEveryShardAndALocationIsStable()
    {
        var shards = new SessionShards(100);

        var used = Enumerable.Range(0, 10_000).Select(i => shards.Locate(Guid.NewGuid().ToString()).Shard.Id).Distinct().Count();
        var first = shards.Locate("session-key");
        var again = new SessionShards(100).Locate("session-key");

        Assert.Equal(100, used);
        Assert.Equal((first.Shard.Id, first.Entry), (again.Shard.Id, again.Entry));
        Assert.StartsWith(SessionShards.Prefix, first.Shard.Id);
    }

    private static ulong Reference(byte[] bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }

        return hash;
    }
}
