using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace StickyLb.BackendApp.Redis;

/// <summary>
/// The Data Protection key ring in a Redis-protocol store, as a list of XML elements (<c>RPUSH</c> /
/// <c>LRANGE</c>), the layout of Microsoft.AspNetCore.DataProtection.StackExchangeRedis: every backend
/// reads the same keys, so any backend can read any session cookie.
/// </summary>
public sealed class RespXmlRepository(RespConnection store, string key) : IXmlRepository
{
    /// <summary>Key ring reads and writes are rare (start-up, then daily) and may wait longer than a request.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var list = store.ExecuteAsync(RespProtocol.Command("LRANGE", key, 0, -1), timeout.Token).GetAwaiter().GetResult().ThrowIfError();
        return [.. list.Items!.Select(item => XElement.Parse(item.AsString()!))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        store.ExecuteAsync(RespProtocol.Command("RPUSH", key, element.ToString(SaveOptions.DisableFormatting)), timeout.Token)
            .GetAwaiter().GetResult().ThrowIfError();
    }
}
