using StickyLb.BackendApp.Hosting;

namespace StickyLb.Tests.Backend.Hosting;

/// <summary>
/// The thread pool's floor by store: 32 workers from the start behind Redis Sentinel (a failover blocks pool threads in
/// the client's synchronous Sentinel calls) and in replicated mode; the runtime's default for memory mode and a plain
/// redis store, where the floor cost CPU and context switches per request.
/// </summary>
public sealed class BackendThreadPoolTests
{
    [Theory]
    [InlineData("redis", "127.0.0.1:26379,127.0.0.1:26380,serviceName=mymaster,abortConnect=false")]
    [InlineData("Redis", "127.0.0.1:26379,serviceName=mymaster")]
    [InlineData("replicated", null)]
    public void SentinelAndReplicatedBackendsStartWithThirtyTwoWorkers(string store, string? redis) =>
        Assert.Equal(BackendThreadPool.HeadroomThreads, BackendThreadPool.MinWorkerThreads(store, redis));

    [Theory]
    [InlineData("memory", null)]
    [InlineData("redis", "127.0.0.1:6380")]
    [InlineData("redis", "127.0.0.1:6380,password=secret,ssl=false")]
    [InlineData("redis", "not a valid ,, configuration=")]
    [InlineData(null, null)]
    public void OtherBackendsKeepTheRuntimesDefault(string? store, string? redis) =>
        Assert.Null(BackendThreadPool.MinWorkerThreads(store, redis));

    [Fact]
    public void ApplyNeverLowersTheFloor()
    {
        ThreadPool.GetMinThreads(out var before, out var completionBefore);

        BackendThreadPool.Apply("memory", null);
        BackendThreadPool.Apply("replicated", null);

        ThreadPool.GetMinThreads(out var after, out var completionAfter);
        Assert.Equal(Math.Max(before, BackendThreadPool.HeadroomThreads), after);
        Assert.Equal(completionBefore, completionAfter);
    }
}
