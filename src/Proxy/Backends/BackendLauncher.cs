using System.Diagnostics;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Processes;
using StickyLb.Shared;

namespace StickyLb.Proxy.Backends;

/// <summary>
/// Builds the command line of a BackendApp process. BackendApp is built into the gateway's own
/// output folder (a project reference), so the gateway needs nothing but itself to spawn it.
/// </summary>
internal static class BackendLauncher
{
    private const string AppName = "BackendApp";

    /// <summary>The environment variable that hands a backend the store's configuration string (<c>Backend__Redis</c>).</summary>
    public static readonly string StoreVariable = BackendConfigurationKeys.EnvironmentVariable(BackendConfigurationKeys.Redis);

    /// <param name="storeConfiguration">The shared store's configuration string in redis mode, else null.</param>
    public static ProcessStartInfo CreateStartInfo(string id, Uri address, GatewayOptions options, string? storeConfiguration)
    {
        var folder = AppContext.BaseDirectory;
        var appHost = Path.Combine(folder, OperatingSystem.IsWindows() ? AppName + ".exe" : AppName);
        var startInfo = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo(DotnetHost.Path) { ArgumentList = { Path.Combine(folder, AppName + ".dll") } };

        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(address.ToString().TrimEnd('/'));
        startInfo.ArgumentList.Add(BackendConfigurationKeys.CommandLineOption(BackendConfigurationKeys.Id));
        startInfo.ArgumentList.Add(id);
        startInfo.ArgumentList.Add(BackendConfigurationKeys.CommandLineOption(BackendConfigurationKeys.Store));
        startInfo.ArgumentList.Add(options.Store.Name());
        // In the environment, not on the command line: any user of the machine can read a process's
        // command line (ps), and the string may hold the store's password.
        startInfo.Environment.Remove(StoreVariable);
        if (storeConfiguration is not null)
        {
            startInfo.Environment[StoreVariable] = storeConfiguration;
        }

        startInfo.ArgumentList.Add(BackendConfigurationKeys.CommandLineOption(BackendConfigurationKeys.IdleTimeout));
        startInfo.ArgumentList.Add(TimeSpan.FromSeconds(options.IdleTimeout).ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add(BackendConfigurationKeys.CommandLineOption(BackendConfigurationKeys.ParentPid));
        startInfo.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        startInfo.WorkingDirectory = folder;
        return startInfo;
    }
}
