using System.Runtime.CompilerServices;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// The test process runs test collections in parallel, with in-process backends whose Data Protection key
/// ring is read synchronously (the interface is synchronous) while other tests block threads of their own.
/// On a 2-core machine the thread pool starts with two workers and adds about one a second, so a blocked
/// pool held the store client's reply past its 500 ms fail-fast timeout (a CI failure: "Timeout performing
/// RPUSH", WORKER Busy=3 Min=2, QueuedItems=3). StackExchange.Redis's own advice for that is a higher minimum.
/// </summary>
internal static class TestProcessThreadPool
{
    private const int MinimumThreads = 16;

#pragma warning disable CA2255 // A test assembly is loaded by the test host only: this runs once, before any test.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RaiseMinimum()
    {
        ThreadPool.GetMinThreads(out var worker, out var completion);
        ThreadPool.SetMinThreads(Math.Max(worker, MinimumThreads), Math.Max(completion, MinimumThreads));
    }
}
