using StickyLb.BackendApp.Sessions;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// Replicated mode's session count: every session this backend holds, its own users' and everyone
/// else's, which is what replication costs in memory.
/// </summary>
internal sealed class ReplicatedSessionCount(SessionShards shards) : ISessionCount
{
    private readonly int[] _perShard = new int[shards.Keys.Count];

    public int Count
    {
        get
        {
            var total = 0;
            for (var i = 0; i < _perShard.Length; i++)
            {
                total += Volatile.Read(ref _perShard[i]);
            }

            return total;
        }
    }

    public void Set(int shard, int count) => Volatile.Write(ref _perShard[shard], count);
}
