namespace StickyLb.Proxy.Compare;

/// <summary>What a backend's death did to the simulated users' live connections, as <c>compare.json</c> reports it.</summary>
/// <param name="OnKilledBackend">Live connections that lived on backend 2 when it was killed.</param>
/// <param name="Reconnected">Of those, how many closed and were opened again through the gateway, on a healthy backend.</param>
/// <param name="StateLost">
/// Of those, how many lost their state: the count did not continue (it started again at 1 on the new
/// connection, or there was no new connection to continue on).
/// </param>
/// <param name="Users">The simulated users who held a live connection: a tenth of the users, at most 30.</param>
/// <param name="Opened">How many of them could open one at all (without affinity the negotiate and the WebSocket reach different backends).</param>
internal sealed record LiveConnectionsOutcome(int OnKilledBackend, int Reconnected, int StateLost, int Users, int Opened)
{
    /// <summary>The table's cell: on backend 2 / reconnected / state lost.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Shape => FormattableString.Invariant($"{OnKilledBackend} / {Reconnected} / {StateLost}");
}
