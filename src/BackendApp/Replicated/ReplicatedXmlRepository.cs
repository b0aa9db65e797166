using System.Text;
using System.Xml.Linq;
using Akka.DistributedData;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// The Data Protection key ring, replicated like the sessions so that every backend can read every
/// session cookie. Always majority reads and writes, whatever <c>--replication</c> says: a backend that
/// missed the ring would make a key of its own, and cookies would stop working across backends.
/// </summary>
internal sealed class ReplicatedXmlRepository(SessionReplicator replicator, ReplicaReadiness readiness, ILogger<ReplicatedXmlRepository> logger) : IXmlRepository
{
    /// <summary>The replicated dictionary that holds the key ring (keyed by a stable hash of each key's name).</summary>
    public static readonly LWWDictionaryKey<long, byte[]> Key = new("data-protection-keys");

    /// <summary>How long a backend waits to join the cluster before it reads the ring.</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    public IReadOnlyCollection<XElement> GetAllElements() => GetAllElementsAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => StoreElementAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> GetAllElementsAsync()
    {
        // Before this node has joined and met the others, a "majority" is this node alone: it would find no
        // key and make its own, and could then read no other backend's cookie. ASP.NET Core loads the ring
        // while the host starts, so this holds the start-up until the node has joined.
        await readiness.Joined.WaitAsync(JoinTimeout);
        var ring = await replicator.GetAsync(Key, replicator.Majority.Read, CancellationToken.None);
        return ring is null ? [] : [.. ring.Entries.OrderBy(e => e.Key).Select(e => XElement.Parse(Encoding.UTF8.GetString(e.Value)))];
    }

    private async Task StoreElementAsync(XElement element, string friendlyName)
    {
        await readiness.Joined.WaitAsync(JoinTimeout);
        var id = unchecked((long)SessionShards.Hash(friendlyName));
        var bytes = Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting));
        var self = replicator.SelfNode;
        try
        {
            await replicator.UpdateAsync(Key, LWWDictionary<long, byte[]>.Empty, replicator.Majority.Write, ring => ring.SetItem(self, id, bytes), CancellationToken.None);
        }
        catch (Exception ex) when (ex is ReplicationException or Akka.Actor.AskTimeoutException)
        {
            logger.KeyNotAcknowledged(ex);
        }
    }
}
