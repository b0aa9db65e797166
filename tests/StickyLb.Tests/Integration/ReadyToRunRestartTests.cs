using System.Net.Sockets;
using System.Text;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// The gateway process replaces itself once with ReadyToRun off (<see cref="ReadyToRunRestart"/>):
/// same process, the setting for itself only, and the runtime's diagnostics still reachable.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class ReadyToRunRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheGatewayRunsWithReadyToRunOffAndItsBackendsDoNot()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        var backends = await gateway.GetBackendsAsync();

        // The process the test started is the one serving (GatewayProcess waited for its ready line).
        Assert.Equal("0", EnvironmentOf(gateway.Pid).GetValueOrDefault(ReadyToRunRestart.Variable));
        Assert.All(backends, b =>
        {
            var environment = EnvironmentOf(b.Pid!.Value);
            Assert.False(environment.ContainsKey(ReadyToRunRestart.Variable), $"Backend {b.Id} inherited {ReadyToRunRestart.Variable}.");
            Assert.False(environment.ContainsKey(ReadyToRunRestart.MarkerVariable));
        });
    }

    [Fact]
    public async Task AReadyToRunValueTheUserSetIsKeptForTheGatewayAndItsBackends()
    {
        await using var gateway = await GatewayProcess.StartAsync(output, new Dictionary<string, string> { [ReadyToRunRestart.Variable] = "1" });
        var backends = await gateway.GetBackendsAsync();

        var environment = EnvironmentOf(gateway.Pid);
        Assert.Equal("1", environment.GetValueOrDefault(ReadyToRunRestart.Variable));
        Assert.False(environment.ContainsKey(ReadyToRunRestart.MarkerVariable));
        Assert.All(backends, b => Assert.Equal("1", EnvironmentOf(b.Pid!.Value).GetValueOrDefault(ReadyToRunRestart.Variable)));
    }

    [Fact]
    public async Task DiagnosticsToolsCanStillConnectAfterTheRestart()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);

        // What dotnet-counters and dotnet-trace do first: find the socket by process id and ask for the process's information.
        var socketPath = Assert.Single(Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{gateway.Pid}-*-socket"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        byte[] processInfo = [.. "DOTNET_IPC_V1\0"u8, 20, 0, 0x04, 0x00, 0, 0];
        await socket.SendAsync(processInfo);
        var reply = new byte[20];
        var received = 0;
        while (received < reply.Length && await socket.ReceiveAsync(reply.AsMemory(received)) is > 0 and var n)
        {
            received += n;
        }

        Assert.Equal("DOTNET_IPC_V1\0", Encoding.ASCII.GetString(reply, 0, 14));
        // Command set 0xFF, command 0x00: the server answered OK.
        Assert.Equal(new byte[] { 0xFF, 0x00 }, reply[16..18]);
    }

    private static Dictionary<string, string> EnvironmentOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);
}
