using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace StickyLb.BackendApp.Hosting;

/// <summary>
/// Stops this backend when the gateway that spawned it has gone away without stopping it (a crash or
/// SIGKILL of the gateway), so no backend outlives its gateway.
/// </summary>
internal sealed partial class ParentWatchdog(
    IOptions<BackendOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ParentWatchdog> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var parentPid = options.Value.ParentPid;
        if (parentPid == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!IsAlive(parentPid))
                {
                    ParentGone(logger, parentPid);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The host is stopping.
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(4001, LogLevel.Warning, "The gateway (pid {ParentPid}) is gone; this backend stops.")]
    private static partial void ParentGone(ILogger logger, int parentPid);
}
