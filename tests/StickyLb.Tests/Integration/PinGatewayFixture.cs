using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// One gateway (memory mode, three backends) whose pins live at most <see cref="MaxIdle"/> seconds unused and
/// <see cref="MaxLife"/> seconds in all, its key in <c>STICKYLB_PIN_KEY</c> and the affinity feature's debug log on (so
/// a test can look for the key in everything it logs). Shared by <see cref="PinLifetimeTests"/>, which read counters
/// as differences and never kill, drain or reconfigure anything.
/// </summary>
public sealed class PinGatewayFixture(IMessageSink sink) : IAsyncLifetime
{
    /// <summary>The key every gateway of these tests shares: 44 characters, as <c>openssl rand -base64 32</c> prints.</summary>
    public const string Key = "u7Q2x9KcR4mZ1pV8sT3wY6bN0aE5fH2jL7gD4kM9qX0=";

    /// <summary>Seconds a pin may go unused: short, so that a test sees one go stale in about three seconds.</summary>
    public const int MaxIdle = 2;

    /// <summary>Seconds a pin may live: a pin in use is re-placed after three to four seconds.</summary>
    public const int MaxLife = 3;

    private GatewayProcess? _gateway;

    internal GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not started.");

    /// <summary>The options that give a gateway these pin lifetimes (the key goes in the environment).</summary>
    internal static string[] PinArgs =>
    [
        "--pin-max-idle", $"{MaxIdle}", "--pin-max-life", $"{MaxLife}",
        "--Logging:LogLevel:StickyLb.Proxy.Affinity", "Debug",
    ];

    internal static Dictionary<string, string> KeyEnvironment => new() { [GatewayOptions.PinKeyVariable] = Key };

    public async Task InitializeAsync() =>
        _gateway = await GatewayProcess.StartAsync(new MessageSinkOutput(sink), KeyEnvironment, PinArgs);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}
