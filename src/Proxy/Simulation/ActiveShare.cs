namespace StickyLb.Proxy.Simulation;

/// <summary>
/// The seeds' skew in the dashboard's simulated users: the users of <paramref name="Backend"/> are the
/// active ones. With affinity on, those are the users pinned to it; without affinity no user belongs to a
/// backend, so the same share of the users is taken: every <paramref name="Of"/>-th user, counted from the
/// <paramref name="Position"/>-th (the backend's place among the <paramref name="Of"/> backends).
/// </summary>
internal sealed record ActiveShare(string Backend, int Position, int Of)
{
    /// <summary>The share of <paramref name="backend"/> among <paramref name="backends"/>, which must hold it.</summary>
    public static ActiveShare For(string backend, IReadOnlyList<string> backends)
    {
        var position = backends.ToList().IndexOf(backend);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return new ActiveShare(backend, position, backends.Count);
    }

    /// <summary>Whether the simulated user at <paramref name="index"/> is in the share when requests are not pinned.</summary>
    public bool Holds(int index) => index % Of == Position;
}
