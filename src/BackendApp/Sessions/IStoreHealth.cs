namespace StickyLb.BackendApp.Sessions;

/// <summary>Whether the session store can serve right now, for <c>/healthz</c>.</summary>
internal interface IStoreHealth
{
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);

    /// <summary>Replicated mode: the backends in the cluster as this one sees it (those not marked down); null in the other modes.</summary>
    int? Members => null;
}
