namespace StickyLb.Proxy.Affinity;

/// <summary>Cookies treated as no affinity, by reason.</summary>
/// <param name="Unknown">A well-formed id that names no destination (<c>server=9</c>).</param>
/// <param name="Malformed">An empty value or one with characters no id has (<c>server=</c>, <c>server=../1</c>).</param>
/// <param name="Oversized">A value over 64 characters.</param>
/// <param name="Repeated">Two or more <c>server</c> cookies.</param>
/// <param name="Tampered">With pin lifetimes: times that fail the MAC (edited, another key) or no times at all.</param>
internal sealed record AffinityMisses(long Unknown, long Malformed, long Oversized, long Repeated, long Tampered);
