using System.Diagnostics;
using System.Runtime.InteropServices;

using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Processes;

/// <summary>The running .NET installation, handed down to the processes the gateway starts.</summary>
internal static class DotnetHost
{
    /// <summary>The installation folder (the parent of <c>shared/</c>).</summary>
    public static readonly string Root =
        System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    /// <summary>The <c>dotnet</c> executable.</summary>
    public static readonly string Path = System.IO.Path.Combine(Root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");

    /// <summary>
    /// A process the gateway starts finds this installation (an app host looks for DOTNET_ROOT) and gets
    /// the environment the user gave, not the runtime settings chosen for the proxy alone.
    /// </summary>
    public static void HandDownTo(ProcessStartInfo child)
    {
        child.Environment.TryAdd("DOTNET_ROOT", Root);
        GatewaySchedulingExtensions.KeepOutOfChild(child);
    }
}
