namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A Redis Sentinel test: run when redis-server and redis-sentinel are installed, otherwise reported
/// as skipped with the reason, never passed silently. CI installs both.
/// </summary>
public sealed class SentinelFactAttribute : FactAttribute
{
    public SentinelFactAttribute()
    {
        if (!SentinelStore.IsInstalled)
        {
            Skip = "redis-server and redis-sentinel are not on PATH; `apt-get install redis-server redis-sentinel` to run the Sentinel tests.";
        }
    }
}
