using Microsoft.AspNetCore.DataProtection;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// Loads (or creates) the shared key ring before the backend answers its first request, so that a
/// store that cannot be reached stops start-up with one clear line, and so that every backend
/// started after the first one finds its key and uses it instead of making its own.
/// </summary>
internal sealed class KeyRingWarmup(IDataProtectionProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        provider.CreateProtector(nameof(KeyRingWarmup)).Protect([1]);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
