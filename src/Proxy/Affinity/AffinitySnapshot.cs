namespace StickyLb.Proxy.Affinity;

/// <summary>The affinity counters at one moment.</summary>
/// <param name="NewPins">Clients without a valid cookie that were pinned.</param>
/// <param name="Hits">Requests sent to the healthy backend their cookie names.</param>
/// <param name="RePins">Clients moved off a backend that was down (Redistribute).</param>
/// <param name="Rebalanced">Clients moved off a healthy backend over the rebalance bound (<c>--rebalance</c>).</param>
/// <param name="Unavailable">Requests answered 503 because their backend was down (Return503Error).</param>
/// <param name="ExpiredPins">Pins idle longer than <c>--pin-max-idle</c> or older than <c>--pin-max-life</c>, placed afresh (each also a new pin).</param>
/// <param name="Misses">Cookies ignored as invalid, by reason.</param>
internal sealed record AffinitySnapshot(long NewPins, long Hits, long RePins, long Rebalanced, long Unavailable, long ExpiredPins, AffinityMisses Misses);
