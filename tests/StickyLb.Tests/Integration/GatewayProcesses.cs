namespace StickyLb.Tests.Integration;

/// <summary>
/// Tests that run the real gateway and backend processes run one at a time: each starts four .NET
/// processes, and this machine has two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class GatewayProcesses
{
    public const string Name = "Gateway processes";
}
