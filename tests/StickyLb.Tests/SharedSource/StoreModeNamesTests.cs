extern alias proxy;

using System.Text.RegularExpressions;
using StoreModeNames = proxy::StickyLb.Shared.StoreModeNames;

namespace StickyLb.Tests.SharedSource;

public sealed class StoreModeNamesTests
{
    [Fact]
    public void TheNamesAreTheOnesUsersWrite()
    {
        Assert.Equal(["memory", "redis", "replicated"], StoreModeNames.All);
    }

    [Theory]
    [InlineData("memory", true)]
    [InlineData("redis", true)]
    [InlineData("replicated", true)]
    [InlineData("Redis", false)]
    [InlineData("redis ", false)]
    [InlineData("memoryredis", false)]
    public void ThePatternTakesExactlyOneNameAsWritten(string value, bool matches)
    {
        Assert.Equal(matches, Regex.IsMatch(value, StoreModeNames.Pattern));
    }
}
