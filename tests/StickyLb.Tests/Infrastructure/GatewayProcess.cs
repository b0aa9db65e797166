using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;
using Xunit.Abstractions;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// The real gateway (Proxy.dll from the test's output folder) as a child process on free ports,
/// with its real BackendApp children. Ready when it prints its ready line; disposed with SIGTERM,
/// and every process it may have left is killed even when a test fails.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly ITestOutputHelper _output;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly HashSet<int> _backendPids = [];

    private GatewayProcess(Process process, ITestOutputHelper output, int backends, Uri gatewayUrl, Uri adminUrl, int backendPort, string? adminToken)
    {
        _process = process;
        _output = output;
        Backends = backends;
        GatewayUrl = gatewayUrl;
        AdminUrl = adminUrl;
        BackendPort = backendPort;
        // An HTTPS admin listener has a test's own self-signed certificate (TestCertificate): the harness trusts those.
        Admin = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || certificate?.Subject == TestCertificate.Subject },
        })
        {
            BaseAddress = AdminUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        // The harness is the operator: it sends the admin token when the gateway was given one, so that it can
        // read the backends' pids (and kill them in teardown) on a protected admin listener too.
        if (adminToken is not null)
        {
            Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
        }
    }

    public Uri GatewayUrl { get; }

    /// <summary>
    /// The admin listener, always reached through 127.0.0.1: with <c>--admin-listen http://0.0.0.0:PORT</c> in the
    /// arguments that is still the listener (loopback connects reach 0.0.0.0), and no external address is used.
    /// </summary>
    public Uri AdminUrl { get; }

    /// <summary>The port of backend 1; backend N listens on this + N - 1.</summary>
    public int BackendPort { get; }

    public int Backends { get; }

    public HttpClient Admin { get; }

    public int Pid => _process.Id;

    public string Output => string.Join('\n', _lines);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the gateway with <paramref name="args"/> and waits for its ready line.</summary>
    public static Task<GatewayProcess> StartAsync(ITestOutputHelper output, params string[] args) =>
        StartAsync(output, new Dictionary<string, string>(), args);

    /// <summary>Starts the gateway with <paramref name="environment"/> added to its environment.</summary>
    public static async Task<GatewayProcess> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var gateway = Launch(output, environment, args);
        try
        {
            await gateway.WaitForLineAsync(line => line.StartsWith(ReadyLine.Prefix, StringComparison.Ordinal), StartTimeout);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the gateway without waiting for anything: for start-up failures.</summary>
    public static GatewayProcess Launch(ITestOutputHelper output, params string[] args) =>
        Launch(output, new Dictionary<string, string>(), args);

    /// <summary>Starts the gateway with <paramref name="environment"/> added to its environment, without waiting for anything.</summary>
    public static GatewayProcess Launch(ITestOutputHelper output, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var backends = args.SkipWhile(a => a != "--backends").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var port = FreePorts.Next();
        // With --admin-listen the test chose the admin listener; otherwise the harness picks a free admin port.
        var adminListen = args.SkipWhile(a => a != "--admin-listen").Skip(1).FirstOrDefault();
        var adminPort = adminListen is null ? FreePorts.Next() : new Uri(adminListen).Port;
        var backendPort = FreePorts.Range(backends);

        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        // In-process gateways of other tests set this in the test host's own environment; a gateway
        // started here must see what a user who never set it would.
        startInfo.Environment.Remove(StickyLb.Proxy.Gateway.GatewaySchedulingExtensions.InlineCompletionsVariable);
        startInfo.Environment.Remove(GatewayOptions.AdminTokenVariable);
        startInfo.Environment.Remove(GatewayOptions.PinKeyVariable);
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Proxy.dll"));
        // With --listen the test names the gateway's URLs itself (free ports in them); the first is the one used.
        var listen = args.SkipWhile(a => a != "--listen").Skip(1).FirstOrDefault();
        string[] ports = listen is null ? ["--port", $"{port}"] : [];
        string[] adminArgs = adminListen is null ? ["--admin-port", $"{adminPort}"] : [];
        foreach (var arg in ports.Concat(["--backend-port", $"{backendPort}"]).Concat(adminArgs).Concat(args))
        {
            startInfo.ArgumentList.Add(arg);
        }

        var gatewayUrl = listen is not null && ListenUrl.TryParse(listen, out var url, out _) ? url.LocalUri(url.Port) : new Uri($"http://127.0.0.1:{port}");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var adminToken = environment.TryGetValue(GatewayOptions.AdminTokenVariable, out var token) && token.Length > 0 ? token : null;
        var adminUrl = new Uri($"{(adminListen?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true ? "https" : "http")}://127.0.0.1:{adminPort}");
        var gateway = new GatewayProcess(process, output, backends, gatewayUrl, adminUrl, backendPort, adminToken);
        process.OutputDataReceived += (_, e) => gateway.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>A new simulated user: its own HTTP client and cookie jar, talking to the gateway.</summary>
    public UserClient NewUser() => new(GatewayUrl);

    public async Task<BackendInfo[]> GetBackendsAsync()
    {
        var backends = await Admin.GetFromJsonAsync<BackendInfo[]>("/api/backends") ?? [];
        lock (_backendPids)
        {
            _backendPids.UnionWith(backends.Where(b => b.Pid is not null).Select(b => b.Pid!.Value));
        }

        return backends;
    }

    /// <summary>Polls the admin API until <paramref name="condition"/> holds for backend <paramref name="id"/>.</summary>
    public Task<BackendInfo> WaitForBackendAsync(string id, Func<BackendInfo, bool> condition, TimeSpan timeout) =>
        Eventually.ValueAsync(
            async () => (await GetBackendsAsync()).Single(b => b.Id == id),
            condition,
            timeout,
            last => $"backend {id} did not reach the expected state; last: {last}.");

    /// <summary>Waits until the gateway process has exited; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public void Signal(int signal) => Posix.Signal(_process.Id, signal);

    /// <summary>Waits until the gateway has printed a line that <paramref name="match"/> accepts; throws with its output if it does not in time.</summary>
    public Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) =>
        Eventually.TrueAsync(
            () => _lines.Any(match) || (_process.HasExited
                ? throw new InvalidOperationException($"The gateway exited with code {_process.ExitCode} before it printed the line awaited:\n{Output}")
                : false),
            timeout,
            () => $"the gateway did not print the line awaited:\n{Output}");

    private void Remember(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    await GetBackendsAsync();
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    // The admin API may already be gone; the pids seen so far are known.
                }

                Signal(Posix.SigTerm);
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            int[] pids;
            lock (_backendPids)
            {
                pids = [.. _backendPids];
            }

            foreach (var pid in pids.Where(Posix.IsAlive))
            {
                Posix.Signal(pid, Posix.SigKill);
            }

            Admin.Dispose();
            _process.Dispose();
            try
            {
                _output.WriteLine(Output);
            }
            catch (InvalidOperationException)
            {
                // No test is running any more to take the output.
            }
        }
    }

    internal static string DotnetHost() => StickyLb.Proxy.Processes.DotnetHost.Path;
}
