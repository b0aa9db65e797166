using StackExchange.Redis;
using StickyLb.Shared;

namespace StickyLb.Proxy.Store;

/// <summary>
/// The gateway's own talk with the store, through the client the backends use (StackExchange.Redis):
/// whether it answers, and a warm-up before users arrive. Each call connects and disconnects: the
/// gateway talks to the store only at start-up and after a restart of the embedded store.
/// </summary>
internal static class StoreProbe
{
    /// <summary>How long the warm-up's commands may take: a store's first use of a command may be slow.</summary>
    public static readonly TimeSpan WarmUpTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The scratch key of the warm-up, under the prefix of every key StickyLb writes.</summary>
    internal const string WarmUpKey = "StickyLb:warm-up";

    /// <summary>Connects to the store of <paramref name="configuration"/> and sends <c>PING</c>; never throws for a store that is down.</summary>
    public static async Task<StoreAnswer> PingAsync(string configuration, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await DescribeAsync(configuration, timeout, cancellationToken)).Answer;

    /// <summary>
    /// Whether the store of <paramref name="configuration"/> answers <c>PING</c> and, when it does, which node
    /// answered as primary (behind Redis Sentinel, the one the sentinels name now); never throws for a store that is down.
    /// </summary>
    public static async Task<(StoreAnswer Answer, string? Primary)> DescribeAsync(string configuration, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await ConnectAsync(configuration, timeout);
            await connection.GetDatabase().PingAsync().WaitAsync(timeout, cancellationToken);
            var primary = connection.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)?.EndPoint;
            return (StoreAnswer.Answers, primary is null ? null : EndPointCollection.ToString(primary));
        }
        catch (RedisConnectionException ex) when (ex.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            return (StoreAnswer.RefusesCredentials, null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (StoreAnswer.Silent, null);
        }
    }

    /// <summary>
    /// Sends the commands of a session load and commit (<c>HMGET</c>, <c>EXPIRE</c>, <c>HSET</c>) and of the
    /// key ring (<c>RPUSH</c>, <c>LRANGE</c>) once each, on scratch keys it deletes. A store compiles its code
    /// for a kind of command when it first runs one (Garnet takes hundreds of milliseconds): a user's first
    /// request must not pay for that under the backends' half-second timeouts. Throws when the store fails them.
    /// </summary>
    public static async Task WarmUpAsync(string configuration, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(configuration, WarmUpTimeout);
        var store = connection.GetDatabase();
        RedisKey session = WarmUpKey;
        RedisKey list = WarmUpKey + ":list";
        var pending = new List<Task>
        {
            store.HashGetAsync(session, ["absexp", "sldexp", "data"]),
            store.HashSetAsync(session, [new("absexp", -1), new("sldexp", TimeSpan.FromMinutes(20).Ticks), new("data", "warm-up")]),
            store.KeyExpireAsync(session, TimeSpan.FromMinutes(1)),
            store.HashGetAsync(session, ["absexp", "sldexp", "data"]),
            store.ListRightPushAsync(list, "<key />"),
            store.ListRangeAsync(list),
        };
        foreach (var command in pending)
        {
            await command.WaitAsync(cancellationToken);
        }

        await store.KeyDeleteAsync([session, list]).WaitAsync(cancellationToken);
    }

    /// <summary>A connection that fails at once when the store is not there, instead of retrying in the background.</summary>
    private static Task<ConnectionMultiplexer> ConnectAsync(string configuration, TimeSpan timeout)
    {
        var options = StoreConfiguration.Parse(configuration);
        var milliseconds = (int)timeout.TotalMilliseconds;
        (options.ConnectTimeout, options.SyncTimeout, options.AsyncTimeout) = (milliseconds, milliseconds, milliseconds);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
