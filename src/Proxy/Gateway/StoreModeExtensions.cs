using System.Diagnostics;
using StickyLb.Shared;

namespace StickyLb.Proxy.Gateway;

/// <summary>The gateway's <see cref="StoreMode"/> as the backends, the admin API and the ready line name it.</summary>
internal static class StoreModeExtensions
{
    /// <summary><paramref name="mode"/>'s name, one of <see cref="StoreModeNames"/>: what <c>--store</c> takes and <c>Backend:Store</c> is handed.</summary>
    public static string Name(this StoreMode mode) => mode switch
    {
        StoreMode.Memory => StoreModeNames.Memory,
        StoreMode.Redis => StoreModeNames.Redis,
        StoreMode.Replicated => StoreModeNames.Replicated,
        _ => throw new UnreachableException($"No name for store mode {mode}."),
    };
}
