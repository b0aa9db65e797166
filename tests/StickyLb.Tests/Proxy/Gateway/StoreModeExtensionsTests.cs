extern alias proxy;

using StickyLb.Proxy.Gateway;
using StoreModeNames = proxy::StickyLb.Shared.StoreModeNames;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class StoreModeExtensionsTests
{
    [Fact]
    public void EveryStoreModeHasOneOfTheSharedNamesInOrder()
    {
        Assert.Equal(StoreModeNames.All, Enum.GetValues<StoreMode>().Select(mode => mode.Name()));
    }

    [Fact]
    public void TheStoreOptionReadsEachSharedNameAsItsMode()
    {
        var converter = new StoreModeConverter();

        foreach (var mode in Enum.GetValues<StoreMode>())
        {
            Assert.True(converter.TryParse(mode.Name(), out var read));
            Assert.Equal(mode, read);
        }
    }
}
