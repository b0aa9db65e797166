using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Gateway;

public sealed class FreePortsTests
{
    [Fact]
    public void PortsAreHandedOutBelowTheKernelsEphemeralRangeAndBindable()
    {
        var ephemeralLow = int.Parse(
            File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
            CultureInfo.InvariantCulture);

        var first = FreePorts.Range(3);
        var next = FreePorts.Next();

        Assert.All([first, first + 1, first + 2, next], port => Assert.InRange(port, 1024, ephemeralLow - 1));
        Assert.DoesNotContain(next, new[] { first, first + 1, first + 2 });
        using var listener = new TcpListener(IPAddress.Loopback, first + 2);
        listener.Start();
    }
}
