extern alias proxy;

using StickyLb.Proxy.Gateway;
using ReplicationModeNames = proxy::StickyLb.Shared.ReplicationModeNames;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class ReplicationModeExtensionsTests
{
    [Fact]
    public void EveryReplicationModeHasOneOfTheSharedNamesInOrder()
    {
        Assert.Equal(ReplicationModeNames.All, Enum.GetValues<ReplicationMode>().Select(mode => mode.Name()));
    }

    [Fact]
    public void TheReplicationOptionReadsEachSharedNameAsItsMode()
    {
        var converter = new ReplicationModeConverter();

        foreach (var mode in Enum.GetValues<ReplicationMode>())
        {
            Assert.True(converter.TryParse(mode.Name(), out var read));
            Assert.Equal(mode, read);
        }
    }
}
