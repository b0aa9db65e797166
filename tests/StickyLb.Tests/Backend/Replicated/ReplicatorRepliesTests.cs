using Akka.Actor;
using Akka.DistributedData;
using StickyLb.BackendApp.Replicated;

namespace StickyLb.Tests.Backend.Replicated;

/// <summary>The replicator's answers reach the request that asked, by the correlation object each request carries.</summary>
public sealed class ReplicatorRepliesTests : IDisposable
{
    private static readonly LWWDictionaryKey<long, byte[]> Shard = new("sessions-0");

    private readonly ActorSystem _system = ActorSystem.Create("replies-test", "akka.loglevel = OFF");

    [Fact]
    public async Task EachAnswerCompletesTheRequestItCorrelatesWithAndNoOther()
    {
        var replies = new ReplicatorReplies(((ExtendedActorSystem)_system).Provider);
        var read = ReplicatorReplies.NewRequest();
        var write = ReplicatorReplies.NewRequest();
        var other = ReplicatorReplies.NewRequest();

        replies.Tell(new GetSuccess(Shard, read, LWWDictionary<long, byte[]>.Empty), ActorRefs.NoSender);
        replies.Tell(new UpdateTimeout(Shard, write), ActorRefs.NoSender);
        replies.Tell("an answer without a request", ActorRefs.NoSender);

        Assert.IsType<GetSuccess>(await read.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.IsType<UpdateTimeout>(await write.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(other.Task.IsCompleted);
    }

    [Fact]
    public async Task ARequestsContinuationNeverRunsOnTheThreadThatDeliversTheAnswer()
    {
        var replies = new ReplicatorReplies(((ExtendedActorSystem)_system).Provider);
        var request = ReplicatorReplies.NewRequest();
        var delivering = Environment.CurrentManagedThreadId;
        var continuedOn = 0;
        _ = request.Task.ContinueWith(_ => Volatile.Write(ref continuedOn, Environment.CurrentManagedThreadId), TaskContinuationOptions.ExecuteSynchronously);

        // Delivered on this thread, as the replicator delivers on its own: the continuation must not run inline here.
        replies.Tell(new NotFound(Shard, request), ActorRefs.NoSender);
        var ranOnDeliveringThread = Volatile.Read(ref continuedOn) == delivering;

        Assert.False(ranOnDeliveringThread);
        Assert.IsType<NotFound>(await request.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
