using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Affinity;

/// <summary>
/// The one owner of the live failover policy: set from <c>Gateway:Failover</c> at start-up, flipped
/// by <c>PUT /api/settings</c>, read by <see cref="GatewayFailoverPolicy"/> on every request pinned
/// to a dead backend.
/// </summary>
internal sealed class FailoverSwitch
{
    private readonly ILogger<FailoverSwitch> _logger;
    private volatile int _mode;

    public FailoverSwitch(IOptions<GatewayOptions> options, ILogger<FailoverSwitch> logger)
    {
        _logger = logger;
        _mode = (int)options.Value.Failover;
    }

    /// <summary>The policy in force.</summary>
    public FailoverMode Current => (FailoverMode)_mode;

    /// <summary>Puts <paramref name="mode"/> in force from the next request on.</summary>
    public void Set(FailoverMode mode)
    {
        var previous = (FailoverMode)Interlocked.Exchange(ref _mode, (int)mode);
        if (previous != mode)
        {
            _logger.FailoverChanged(previous, mode);
        }
    }
}
