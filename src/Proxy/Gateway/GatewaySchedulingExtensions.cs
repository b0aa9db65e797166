namespace StickyLb.Proxy.Gateway;

/// <summary>
/// How the gateway's socket work is scheduled, chosen by measurement (bench/results.md): a proxy does
/// little work per request and a lot of I/O, and on a small machine every hand-off of a socket
/// completion to another thread is a wake-up and a context switch that the profile showed dominating.
/// </summary>
internal static class GatewaySchedulingExtensions
{
    /// <summary>.NET reads this once, when the first socket is created: run socket completions inline.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static volatile bool _setByGateway;

    public static IWebHostBuilder UseGatewayScheduling(this IWebHostBuilder webHost)
    {
        // Everything on the request path is asynchronous and never blocks, which is what inline
        // scheduling requires: Kestrel then runs request code on the thread that completed the read.
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            _setByGateway = true;
        }

        webHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1");
        return webHost;
    }

    /// <summary>
    /// The processes the gateway starts (backends, Garnet) get the environment the user gave, not the
    /// scheduling chosen for the proxy alone.
    /// </summary>
    public static void KeepOutOfChild(System.Diagnostics.ProcessStartInfo child)
    {
        if (_setByGateway)
        {
            child.Environment.Remove(InlineCompletionsVariable);
        }
    }
}
