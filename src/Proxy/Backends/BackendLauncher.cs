using System.Diagnostics;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Builds the command line of a BackendApp process. BackendApp is built into the gateway's own
/// output folder (a project reference), so the gateway needs nothing but itself to spawn it.
/// </summary>
internal static class BackendLauncher
{
    private const string AppName = "BackendApp";

    /// <param name="storeEndpoint">The shared store's <c>host:port</c> in redis mode, else null.</param>
    public static ProcessStartInfo CreateStartInfo(string id, Uri address, GatewayOptions options, string? storeEndpoint)
    {
        var folder = AppContext.BaseDirectory;
        var appHost = Path.Combine(folder, OperatingSystem.IsWindows() ? AppName + ".exe" : AppName);
        var startInfo = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo(DotnetHost.Path) { ArgumentList = { Path.Combine(folder, AppName + ".dll") } };

        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(address.ToString().TrimEnd('/'));
        startInfo.ArgumentList.Add("--Backend:Id");
        startInfo.ArgumentList.Add(id);
        startInfo.ArgumentList.Add("--Backend:Store");
        startInfo.ArgumentList.Add(options.Store.ToString().ToLowerInvariant());
        if (storeEndpoint is not null)
        {
            startInfo.ArgumentList.Add("--Backend:Redis");
            startInfo.ArgumentList.Add(storeEndpoint);
        }

        startInfo.ArgumentList.Add("--Backend:ParentPid");
        startInfo.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        startInfo.WorkingDirectory = folder;
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        DotnetHost.HandDownTo(startInfo);
        return startInfo;
    }
}
