namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Where this node stands: started, joined to the cluster, and ready (holding the others' sessions
/// and the shared key ring). Until it is ready, <c>/healthz</c> answers 503 and the store refuses.
/// </summary>
internal sealed class ReplicaReadiness
{
    private readonly TaskCompletionSource _keyRing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;

    /// <summary>
    /// Completes when this node holds the cluster's key ring (pulled from a majority of the nodes), or
    /// is the oldest member and the cluster has none yet, so that it alone makes the first key.
    /// </summary>
    public Task KeyRing => _keyRing.Task;

    /// <summary>True once this node holds every session and the key ring.</summary>
    public bool IsReady => _ready;

    public void MarkKeyRingHeld() => _keyRing.TrySetResult();

    public void MarkReady() => _ready = true;

    /// <summary>Throws unless the node is ready: a store that serves before it holds the others' sessions would hand out empty ones.</summary>
    public void ThrowIfNotReady()
    {
        if (!_ready)
        {
            throw new ReplicationException("This backend has not joined the others yet.");
        }
    }
}
