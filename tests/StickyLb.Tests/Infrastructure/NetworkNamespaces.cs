using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// Hosts on a private network, made of Linux network namespaces: one namespace per host, each with an
/// <c>eth0</c> joined by a veth pair to a bridge inside one more namespace of the lab's own, with addresses
/// in a random <c>10.213.x.0/24</c>. Nothing touches the root namespace's interfaces or routes, and only
/// addresses inside the lab are ever used. Disposal kills every process in the lab's namespaces (those it
/// started and any they left) and deletes the namespaces, even when a test fails; a lab left behind by a
/// test process that crashed is removed by the next one (<see cref="RemoveLeftovers"/>).
/// </summary>
internal sealed class NetworkNamespaces : IAsyncDisposable
{
    /// <summary>Every namespace of a lab is named <c>{Prefix}{pid}-{lab}-{host}</c>: the creating process's id says whether it is left over.</summary>
    public const string Prefix = "stickylb-t";

    private const string BridgeHost = "net";

    private static readonly Lazy<string?> Unavailable = new(FindWhyUnavailable);

    /// <summary>iproute2's <c>ip</c>: on PATH, or in /usr/sbin where Debian puts it (not on a user's PATH).</summary>
    public static string Ip => Find("ip") ?? "ip";

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/>, whatever its exit code.</summary>
    public static Task<CommandResult> IpAsync(params string[] arguments) => CommandResult.RunAsync(Ip, arguments);

    private readonly ITestOutputHelper _output;
    private readonly string _lab;
    private readonly Dictionary<string, IPAddress> _addresses = [];
    private readonly List<string> _namespaces = [];
    private readonly List<NamespacedProcess> _processes = [];
    private int _disposed;

    private NetworkNamespaces(ITestOutputHelper output, string lab, int subnet)
    {
        _output = output;
        _lab = lab;
        Subnet = $"10.213.{subnet.ToString(CultureInfo.InvariantCulture)}.0/24";
    }

    /// <summary>Why network namespaces cannot be made here (not Linux, not root, no <c>ip</c> or <c>curl</c>, not permitted), or null when they can.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>The lab's network, e.g. <c>10.213.57.0/24</c>.</summary>
    public string Subnet { get; }

    /// <summary>The names of this lab's namespaces, the bridge's included.</summary>
    public IReadOnlyList<string> Names => _namespaces;

    /// <summary>The address of <paramref name="host"/> on the lab's network.</summary>
    public IPAddress Address(string host) => _addresses[host];

    /// <summary>The namespace of <paramref name="host"/>.</summary>
    public string Namespace(string host) => $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{_lab}-{host}";

    /// <summary>Makes a lab with one namespace per host (short names: letters and digits), each host at 10.213.x.(10 + its index).</summary>
    public static async Task<NetworkNamespaces> CreateAsync(ITestOutputHelper output, params string[] hosts)
    {
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        await RemoveLeftovers(output);
        var lab = new NetworkNamespaces(output, Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())), Random.Shared.Next(0, 256));
        try
        {
            await lab.BuildAsync(hosts);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(string[] hosts)
    {
        var bridge = await AddNamespaceAsync(BridgeHost);
        await IpOrThrowAsync("-n", bridge, "link", "add", "br0", "type", "bridge");
        await IpOrThrowAsync("-n", bridge, "link", "set", "br0", "up");
        var network = Subnet[..Subnet.LastIndexOf('.')];
        for (var i = 0; i < hosts.Length; i++)
        {
            var host = hosts[i];
            var name = await AddNamespaceAsync(host);
            var address = IPAddress.Parse($"{network}.{(10 + i).ToString(CultureInfo.InvariantCulture)}");
            // Made inside the bridge's namespace, its peer moved straight into the host's: the pair never
            // exists in the root namespace. Interface names only need to be unique within a namespace.
            var port = $"v{i.ToString(CultureInfo.InvariantCulture)}";
            await IpOrThrowAsync("-n", bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name);
            await IpOrThrowAsync("-n", bridge, "link", "set", port, "master", "br0", "up");
            await IpOrThrowAsync("-n", name, "addr", "add", $"{address}/24", "dev", "eth0");
            await IpOrThrowAsync("-n", name, "link", "set", "eth0", "up");
            _addresses[host] = address;
        }

        _output.WriteLine($"Lab {_lab}: {Subnet}, {string.Join(", ", _addresses.Select(a => $"{a.Key}={a.Value}"))}.");
    }

    private async Task<string> AddNamespaceAsync(string host)
    {
        var name = Namespace(host);
        await IpOrThrowAsync("netns", "add", name);
        _namespaces.Add(name);
        await IpOrThrowAsync("-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>Runs <paramref name="file"/> inside <paramref name="host"/>'s namespace until it exits.</summary>
    public Task<CommandResult> RunAsync(string host, string file, params string[] arguments) =>
        CommandResult.RunAsync(Ip, ["netns", "exec", Namespace(host), file, .. arguments]);

    /// <summary>
    /// Starts <paramref name="file"/> inside <paramref name="host"/>'s namespace, its output kept; killed at
    /// disposal. <c>ip netns exec</c> execs the program, so the process's id is the program's.
    /// </summary>
    public NamespacedProcess Start(string host, string name, string file, params string[] arguments)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var process = NamespacedProcess.Start(name, Ip, ["netns", "exec", Namespace(host), file, .. arguments]);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Polls <paramref name="url"/> with curl from <paramref name="host"/> until it answers 2xx; throws with the reason on timeout.</summary>
    public async Task WaitUntilAnswersAsync(string host, string url, TimeSpan timeout, NamespacedProcess? server = null) =>
        await Eventually.ValueAsync(
            async () => server is { HasExited: true }
                ? throw new InvalidOperationException($"{server.Name} exited before {url} answered:\n{server.Output}")
                : await RunAsync(host, "curl", "-s", "-o", "/dev/null", "--max-time", "1", "-w", "%{http_code}", url),
            result => result.StandardOutput.StartsWith('2'),
            timeout,
            last => $"{url} did not answer 2xx from {host} (curl exit {last.ExitCode}, status {last.StandardOutput}).{(server is null ? "" : "\n" + server.Output)}",
            interval: TimeSpan.FromMilliseconds(100));

    /// <summary>Every network namespace on the machine, by name.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync()
    {
        var result = await CommandResult.RunAsync(Ip, ["netns", "list"]);
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => line.Split(' ')[0])];
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        NamespacedProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            process.Kill();
            _output.WriteLine($"--- {process.Name} (pid {process.Pid}) ---\n{process.Output}");
            process.Dispose();
        }

        var failures = new List<string>();
        foreach (var name in Enumerable.Reverse(_namespaces))
        {
            if (await RemoveNamespaceAsync(name) is { } failure)
            {
                failures.Add(failure);
            }
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"The lab's namespaces were not all removed: {string.Join("; ", failures)}");
        }
    }

    /// <summary>
    /// Removes the namespaces of labs whose process is gone (a test host that crashed or was killed), and
    /// every process still inside them; labs of live processes (another test run) are left alone.
    /// </summary>
    public static async Task RemoveLeftovers(ITestOutputHelper output)
    {
        foreach (var name in await ListAsync())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var owner = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(owner, CultureInfo.InvariantCulture, out var pid) && (pid == Environment.ProcessId || Posix.IsAlive(pid)))
            {
                continue;
            }

            output.WriteLine($"Removing the namespace {name}, left behind by process {owner}.");
            await RemoveNamespaceAsync(name);
        }
    }

    /// <summary>Kills every process inside <paramref name="name"/>, then deletes it; the failure, or null.</summary>
    private static async Task<string?> RemoveNamespaceAsync(string name)
    {
        // A namespace outlives `ip netns del` while a process is inside it: kill them first.
        var pids = await CommandResult.RunAsync(Ip, ["netns", "pids", name]);
        foreach (var pid in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)))
        {
            if (Posix.IsAlive(pid))
            {
                Posix.Signal(pid, Posix.SigKill);
                await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(10));
            }
        }

        var deleted = await CommandResult.RunAsync(Ip, ["netns", "del", name]);
        return deleted.ExitCode == 0 ? null : $"{name}: {deleted.StandardError.Trim()}";
    }

    private static async Task IpOrThrowAsync(params string[] arguments)
    {
        var result = await IpAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError.Trim()}");
        }
    }

    private static string? FindWhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Network namespaces are Linux's; this is not Linux.";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "Making network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); the tests do not run as root.";
        }

        foreach (var tool in new[] { ("ip", "iproute2"), ("curl", "curl") })
        {
            if (Find(tool.Item1) is null)
            {
                return $"`{tool.Item1}` is not on PATH; `apt-get install {tool.Item2}` to run the tests across hosts.";
            }
        }

        // Root may still be refused (a container without CAP_SYS_ADMIN, a read-only /run): try one.
        var probe = $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-probe";
        var added = CommandResult.RunAsync(Ip, ["netns", "add", probe]).GetAwaiter().GetResult();
        if (added.ExitCode != 0)
        {
            return $"`ip netns add` is not permitted here: {added.StandardError.Trim()}";
        }

        var deleted = CommandResult.RunAsync(Ip, ["netns", "del", probe]).GetAwaiter().GetResult();
        return deleted.ExitCode == 0 ? null : $"`ip netns del` failed: {deleted.StandardError.Trim()}";
    }

    private static string? Find(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin"])
            .Select(folder => Path.Combine(folder, file))
            .FirstOrDefault(File.Exists);
}
