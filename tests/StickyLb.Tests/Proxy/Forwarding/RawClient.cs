using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// Sends one request as exact bytes (so the request target reaches the gateway untouched, which
/// HttpClient's Uri would not guarantee) and reads the response until the gateway closes.
/// </summary>
internal static class RawClient
{
    /// <summary>Sends <paramref name="head"/> (which must ask for <c>Connection: close</c>) and the body; returns the status code.</summary>
    public static async Task<int> SendAsync(Uri server, string head, byte[] body) =>
        (await ExchangeAsync(server, [.. RawConnection.Bytes(head), .. body])).Status;

    /// <summary>Sends <paramref name="request"/> as it is and reads until the gateway closes; returns the status code and the whole response as UTF-8 text.</summary>
    public static async Task<(int Status, string Response)> ExchangeAsync(Uri server, byte[] request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Host, server.Port, timeout.Token);
        await socket.SendAsync(request, SocketFlags.None, timeout.Token);

        using var response = new MemoryStream();
        var buffer = new byte[4096];
        int received;
        while ((received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            response.Write(buffer, 0, received);
        }

        // "HTTP/1.1 200 OK"
        var text = Encoding.UTF8.GetString(response.ToArray());
        return (int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture), text);
    }
}
