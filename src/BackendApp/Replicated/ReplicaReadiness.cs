namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Where this node stands: started, joined to the cluster, and ready (holding the others' sessions
/// and the shared key ring). Until it is ready, <c>/healthz</c> answers 503 and the store refuses.
/// </summary>
internal sealed class ReplicaReadiness
{
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;

    /// <summary>Completes when this node is Up in the cluster and its replicator knows every other member.</summary>
    public Task Joined => _joined.Task;

    /// <summary>True once this node holds every session and the key ring.</summary>
    public bool IsReady => _ready;

    public void MarkJoined() => _joined.TrySetResult();

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
