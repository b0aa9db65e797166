namespace StickyLb.Proxy.Simulation;

/// <summary>The body of <c>PUT /api/simulation</c>: how many users to simulate (0 stops them).</summary>
public sealed record SimulationUpdate(int? Users);
