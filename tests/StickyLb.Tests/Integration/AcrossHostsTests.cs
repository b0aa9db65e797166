using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Proxy.Admin;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// StickyLb across hosts, as deployed: a client, the gateway and three backends each on a host of its own
/// (Linux network namespaces joined by a bridge, <see cref="NetworkNamespaces"/>), the gateway on HTTPS with
/// HTTP/2 and proxying to backends it does not run, the client Debian's curl. What happens must be exactly
/// what happens on loopback.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class AcrossHostsTests(ITestOutputHelper output) : IDisposable
{
    // Fixed ports are free by construction: each host is a namespace of its own, made for this test
    // (the gateway's admin API keeps its default, 127.0.0.1:5001, on the gateway host's own loopback).
    private const int BackendPort = 8080;
    private const int GatewayPort = 8443;
    private const int ClusterPort = 2551;
    private const string AdminUrl = "http://127.0.0.1:5001";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("stickylb-across-");

    [NetworkNamespacesFact]
    public async Task ABackendOnItsOwnHostAnswersAnotherHostAndBelievesOnlyItsGateway()
    {
        var rootLinks = await RootLinksAsync();
        string[] names;
        int backendPid;
        await using (var lab = await NetworkNamespaces.CreateAsync(output, "client", "gateway", "b1"))
        {
            names = [.. lab.Names];
            var backend = StartBackend(lab, "b1", "1");
            backendPid = backend.Pid;
            var url = $"http://{lab.Address("b1")}:{BackendPort}{ClientEndpoints.Path}";
            await lab.WaitUntilAnswersAsync("client", url, StartTimeout, backend);
            (string, string)[] forged = [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil")];

            var fromClient = await new NamespacedCurl(lab, "client", _folder.FullName).GetAsync(url, forged);
            var fromGateway = await new NamespacedCurl(lab, "gateway", _folder.FullName).GetAsync(url, forged);

            Assert.Equal(200, fromClient.Status);
            Assert.Equal(new ClientResponse("1", lab.Address("client").ToString(), "http", $"{lab.Address("b1")}:{BackendPort}"), fromClient.Json<ClientResponse>());
            Assert.Equal(new ClientResponse("1", "6.6.6.6", "https", "evil"), fromGateway.Json<ClientResponse>());
        }

        // Teardown left nothing: no namespace of the lab, no process, and the root namespace's links as they were.
        Assert.False(Posix.IsAlive(backendPid), $"The backend (pid {backendPid}) outlived the lab.");
        Assert.Empty((await NetworkNamespaces.ListAsync()).Intersect(names));
        Assert.Equal(rootLinks, await RootLinksAsync());
    }

    [NetworkNamespacesFact]
    public async Task ALabLeftByAProcessThatDiedIsRemovedWithWhatRunsInIt()
    {
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        var name = $"{NetworkNamespaces.Prefix}{gone.Id.ToString(CultureInfo.InvariantCulture)}-dead-host";
        Assert.Equal(0, (await NetworkNamespaces.IpAsync("netns", "add", name)).ExitCode);
        using var orphan = Process.Start(new ProcessStartInfo(NetworkNamespaces.Ip) { UseShellExecute = false, ArgumentList = { "netns", "exec", name, "sleep", "600" } })!;
        try
        {
            await WaitForAsync(async () => (await NetworkNamespaces.IpAsync("netns", "pids", name)).StandardOutput.Contains(orphan.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), "the orphan to be inside its namespace");

            await NetworkNamespaces.RemoveLeftovers(output);

            Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(10)), "The process inside the left-over namespace was not killed.");
            Assert.DoesNotContain(name, await NetworkNamespaces.ListAsync());
        }
        finally
        {
            if (!orphan.HasExited)
            {
                orphan.Kill();
            }

            await NetworkNamespaces.IpAsync("netns", "del", name);
        }
    }

    /// <summary>
    /// The whole story across hosts: <c>--spawn false --backend ... --listen https://... --certificate ...</c>;
    /// a client on another host logs in over HTTP/2, is pinned with a <c>Secure</c> cookie, and the backend
    /// sees the client's own address and <c>https</c> whatever the client claims; its backend SIGKILLed, the
    /// next request is answered by another, re-pinned, the in-memory session gone (logged out).
    /// </summary>
    [NetworkNamespacesFact]
    public async Task AClientOnAnotherHostIsPinnedOverHttpsAndMovedWhenItsBackendDies()
    {
        await using var lab = await NetworkNamespaces.CreateAsync(output, "client", "gateway", "b1", "b2", "b3");
        var backends = new Dictionary<string, NamespacedProcess>();
        foreach (var id in new[] { "1", "2", "3" })
        {
            backends[id] = StartBackend(lab, $"b{id}", id);
        }

        foreach (var (id, backend) in backends)
        {
            await lab.WaitUntilAnswersAsync("gateway", $"http://{lab.Address($"b{id}")}:{BackendPort}/healthz", StartTimeout, backend);
        }

        var gatewayAddress = lab.Address("gateway");
        var site = $"https://{gatewayAddress}:{GatewayPort}";
        using var certificate = new TestCertificate(gatewayAddress);
        var gateway = lab.Start("gateway", "gateway", GatewayProcess.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "Proxy.dll"),
            "--spawn", "false",
            "--backend", $"http://{lab.Address("b1")}:{BackendPort}",
            "--backend", $"http://{lab.Address("b2")}:{BackendPort}",
            "--backend", $"http://{lab.Address("b3")}:{BackendPort}",
            "--listen", site,
            "--certificate", certificate.CertificatePem,
            "--certificate-key", certificate.KeyPem);
        await gateway.WaitForLineAsync(line => line.StartsWith(ReadyLine.Prefix, StringComparison.Ordinal), StartTimeout);
        // Destinations 1..3 in the order of --backend, each answering its probe.
        var expected = string.Join(", ", backends.Keys.Select(id => $"{id}=http://{lab.Address($"b{id}")}:{BackendPort} healthy"));
        var seen = "";
        await WaitForAsync(
            async () => (seen = string.Join(", ", (await GetBackendsAsync(lab)).Select(b => $"{b.Id}={b.Address.TrimEnd('/')} {b.Health}"))) == expected,
            () => $"the gateway's backends to be {expected} (last seen: {seen})",
            gateway);
        var user = new NamespacedCurl(lab, "client", _folder.FullName);

        var login = await user.PostJsonAsync($"{site}/login", """{"user":"alice"}""");
        var pinned = login.Header("X-Backend").Single();
        var whoami = await user.GetAsync($"{site}/whoami");
        var client = await user.GetAsync($"{site}{ClientEndpoints.Path}", ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Proto", "http"), ("X-Forwarded-Host", "evil"));

        Assert.Equal((200, "2"), (login.Status, login.HttpVersion));
        Assert.Equal("alice", login.Json<WhoAmIResponse>().User);
        Assert.Contains(login.Header("Set-Cookie"), c => c.StartsWith($"server={pinned};", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.Equal((pinned, true), user.ServerCookie);
        Assert.Equal((200, "2", pinned, "alice"), (whoami.Status, whoami.HttpVersion, whoami.Header("X-Backend").Single(), whoami.Json<WhoAmIResponse>().User));
        Assert.Equal((200, "2"), (client.Status, client.HttpVersion));
        Assert.Equal(new ClientResponse(pinned, lab.Address("client").ToString(), "https", $"{gatewayAddress}:{GatewayPort}"), client.Json<ClientResponse>());

        backends[pinned].Kill();
        var moved = await user.GetAsync($"{site}/whoami");
        var movedTo = moved.Header("X-Backend").Single();
        var after = await user.GetAsync($"{site}/whoami");

        Assert.Equal((200, "2"), (moved.Status, moved.HttpVersion));
        Assert.NotEqual(pinned, movedTo);
        Assert.Null(moved.Json<WhoAmIResponse>().User);
        Assert.Contains(moved.Header("Set-Cookie"), c => c.StartsWith($"server={movedTo};", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.Equal((movedTo, true), user.ServerCookie);
        Assert.Equal((200, movedTo), (after.Status, after.Header("X-Backend").Single()));
        Assert.DoesNotContain(after.Header("Set-Cookie"), c => c.StartsWith("server=", StringComparison.Ordinal));
    }

    /// <summary>
    /// Replicated mode across hosts: three backends each on a host of its own, started as the gateway starts them
    /// (their cluster settings on the command line). One is SIGKILLed: the survivors take it out of the cluster at
    /// once, because its host refuses connections to its cluster port while they still reach each other. Akka's failure
    /// detector and split-brain resolver alone take about 10 s, and until then every sync change waits 300 ms for the
    /// dead backend (bench/replicated-hosts-results.md).
    /// </summary>
    [NetworkNamespacesFact]
    public async Task AReplicatedBackendKilledOnAnotherHostLeavesTheClusterAtOnce()
    {
        await using var lab = await NetworkNamespaces.CreateAsync(output, "b1", "b2", "b3");
        var backends = new Dictionary<string, NamespacedProcess>();
        foreach (var id in new[] { "1", "2", "3" })
        {
            // The first lists itself as the seed, each later one those started before it (ClusterPeers).
            string[] peers = id == "1" ? ["1"] : [.. backends.Keys];
            var seeds = string.Join(',', peers.Select(peer => $"{lab.Address($"b{peer}")}:{ClusterPort}"));
            backends[id] = StartBackendApp(lab, $"b{id}", id,
                "--Backend:Store", "replicated",
                "--Replicated:Hostname", lab.Address($"b{id}").ToString(),
                "--Replicated:Port", ClusterPort.ToString(CultureInfo.InvariantCulture),
                "--Replicated:Seeds", seeds);
        }

        foreach (var id in backends.Keys)
        {
            await WaitForAsync(async () => await MembersAsync(lab, "b1", id) == 3, $"backend {id} to be healthy with three members", backends[id]);
        }

        var killed = Stopwatch.StartNew();
        backends["2"].Kill();
        await WaitForAsync(async () => await MembersAsync(lab, "b1", "1") == 2 && await MembersAsync(lab, "b3", "3") == 2, "the survivors to see two members");
        var left = killed.Elapsed;
        var login = await new NamespacedCurl(lab, "b3", _folder.FullName).PostJsonAsync($"http://{lab.Address("b1")}:{BackendPort}/login", """{"user":"alice"}""");

        Assert.True(left < TimeSpan.FromSeconds(3), $"The killed backend left the cluster after {left.TotalSeconds:F1} s.");
        Assert.Equal((200, "alice"), (login.Status, login.Json<WhoAmIResponse>().User));
    }

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>
    /// The cluster's members as backend <paramref name="id"/> sees them (its <c>/healthz</c>), asked from <paramref name="from"/>;
    /// null while it is not healthy (joining: a member it counts may not be Up yet, and a majority read would wait for it).
    /// </summary>
    private static async Task<int?> MembersAsync(NetworkNamespaces lab, string from, string id)
    {
        var result = await lab.RunAsync(from, "curl", "-s", "-f", "--max-time", "1", $"http://{lab.Address($"b{id}")}:{BackendPort}/healthz");
        try
        {
            using var health = JsonDocument.Parse(result.StandardOutput);
            return result.ExitCode == 0 && health.RootElement.TryGetProperty("members", out var members) ? members.GetInt32() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A BackendApp on <paramref name="host"/>'s address, believing <c>X-Forwarded-*</c> from the gateway's host only.</summary>
    private static NamespacedProcess StartBackend(NetworkNamespaces lab, string host, string id) =>
        StartBackendApp(lab, host, id, "--Backend:TrustedProxies", lab.Address("gateway").ToString());

    /// <summary>A BackendApp on <paramref name="host"/>'s address, with <paramref name="options"/>; it stops by itself if this test process dies before it can kill it.</summary>
    private static NamespacedProcess StartBackendApp(NetworkNamespaces lab, string host, string id, params string[] options) =>
        lab.Start(host, $"backend {id}", GatewayProcess.DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "BackendApp.dll"),
            "--urls", $"http://{lab.Address(host)}:{BackendPort}",
            "--Backend:Id", id,
            "--Backend:ParentPid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            .. options]);

    /// <summary>The admin API, on the gateway host's own loopback.</summary>
    private static async Task<BackendInfo[]> GetBackendsAsync(NetworkNamespaces lab)
    {
        var result = await lab.RunAsync("gateway", "curl", "-s", "--max-time", "2", $"{AdminUrl}/api/backends");
        try
        {
            return result.ExitCode == 0 ? JsonSerializer.Deserialize<BackendInfo[]>(result.StandardOutput, JsonSerializerOptions.Web) ?? [] : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The root namespace's network interfaces, to show that the lab never touched them.</summary>
    private static async Task<string> RootLinksAsync() =>
        string.Join(' ', (await NetworkNamespaces.IpAsync("-o", "link", "show")).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(": ")[1])
            .Order(StringComparer.Ordinal));

    private static Task WaitForAsync(Func<Task<bool>> condition, string what, NamespacedProcess? process = null) =>
        WaitForAsync(condition, () => what, process);

    private static Task WaitForAsync(Func<Task<bool>> condition, Func<string> what, NamespacedProcess? process) =>
        Eventually.TrueAsync(condition, StartTimeout, () => $"{what()}.{(process is null ? "" : "\n" + process.Output)}", interval: TimeSpan.FromMilliseconds(100));
}
