using System.Text;
using System.Xml.Linq;
using Akka.DistributedData;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace StickyLb.BackendApp.Replicated;

/// <summary>
/// The Data Protection key ring, replicated like the sessions so that every backend can read every
/// session cookie. A backend reads nothing until its warm-up holds the cluster's ring (pulled from a
/// majority of the nodes; only the oldest member makes the first key), and from then on reads its own
/// replica: a ring that diverged would make a key of its own per backend, and a ring read that waited on
/// other nodes could fail under load, and Data Protection then drops the user's session cookie (the
/// session middleware starts an empty session instead of failing). Keys are written to a majority.
/// </summary>
internal sealed class ReplicatedXmlRepository(SessionReplicator replicator, ReplicaReadiness readiness, ILogger<ReplicatedXmlRepository> logger) : IXmlRepository
{
    /// <summary>The replicated dictionary that holds the key ring (keyed by a stable hash of each key's name).</summary>
    public static readonly LWWDictionaryKey<long, byte[]> Key = new("data-protection-keys");

    /// <summary>How long a new key waits for this backend to hold the cluster's ring before it is stored.</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    public IReadOnlyCollection<XElement> GetAllElements() => GetAllElementsAsync().GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => StoreElementAsync(element, friendlyName).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> GetAllElementsAsync()
    {
        // Before this node holds the cluster's ring it would find no key and make its own, and could then
        // read no other backend's cookie: a request that needs the ring before then fails at once (a 503,
        // StoreOutageExceptionHandler), and Data Protection reads the ring again on a later one.
        if (!readiness.KeyRing.IsCompleted)
        {
            throw new ReplicationException("This backend has not joined the others yet: it does not hold the key ring.");
        }

        var ring = await replicator.GetAsync(Key, ReadLocal.Instance, CancellationToken.None);
        return ring is null ? [] : [.. ring.Entries.OrderBy(e => e.Key).Select(e => XElement.Parse(Encoding.UTF8.GetString(e.Value)))];
    }

    private async Task StoreElementAsync(XElement element, string friendlyName)
    {
        await readiness.KeyRing.WaitAsync(JoinTimeout);
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
