using Akka.Actor;
using Akka.DistributedData;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// The one address the replicator answers this backend's session reads and writes to: each request carries its own
/// <see cref="TaskCompletionSource{TResult}"/> as the replicator's correlation object (<c>Get</c>'s and <c>Update</c>'s
/// <c>request</c>, which every answer carries back), and a reply completes it. What <c>Ask</c> does per request and
/// this does once: a temporary actor with a path of its own, registered and unregistered, a cancellation source and
/// its timer, and two more continuations on the thread pool to stop the actor and dispose the source (Akka's
/// <c>PromiseActorRef</c>). Measured in docs/performance.md (issue 30's section).
/// </summary>
internal sealed class ReplicatorReplies : MinimalActorRef
{
    public ReplicatorReplies(IActorRefProvider provider)
    {
        Provider = provider;
        Path = provider.TempPath();
        provider.RegisterTempActor(this, Path);
    }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider { get; }

    /// <summary>A pending request's completion: its continuation runs on the thread pool, never on the replicator's thread.</summary>
    public static TaskCompletionSource<object> NewRequest() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override void TellInternal(object message, IActorRef sender)
    {
        var request = message switch
        {
            IGetResponse get => get.Request,
            IUpdateResponse update => update.Request,
            _ => null,
        };
        (request as TaskCompletionSource<object>)?.TrySetResult(message);
    }
}
