namespace StickyLb.Tests.Integration;

/// <summary>
/// Tests of the gateway with a store of its own (redis-server, Garnet, Sentinel) run one at a time, beside the
/// <see cref="GatewayProcesses"/> ones: most of their time is spent waiting for a store to die, fail over or
/// come back, so the two collections share this machine's two cores without starving each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class StoreProcesses
{
    public const string Name = "Store processes";
}
