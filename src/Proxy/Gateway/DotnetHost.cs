using System.Runtime.InteropServices;

namespace StickyLb.Proxy.Gateway;

/// <summary>The running .NET installation, handed down to the processes the gateway starts.</summary>
internal static class DotnetHost
{
    /// <summary>The installation folder (the parent of <c>shared/</c>).</summary>
    public static readonly string Root =
        System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    /// <summary>The <c>dotnet</c> executable.</summary>
    public static readonly string Path = System.IO.Path.Combine(Root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
}
