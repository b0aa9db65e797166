using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// One sticky gateway (memory mode, three backends) shared by the live-connection tests that only open
/// and close connections of their own: none kills, drains or reconfigures anything, and each waits for
/// its connections to be gone from <c>/api/backends</c> before it ends.
/// </summary>
public sealed class LiveGatewayFixture(IMessageSink sink) : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    internal GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync(new MessageSinkOutput(sink));

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}
