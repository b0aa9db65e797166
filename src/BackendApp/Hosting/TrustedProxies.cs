using System.Net;

namespace StickyLb.BackendApp.Hosting;

/// <summary>
/// Parses <c>Backend:TrustedProxies</c>: the gateways whose <c>X-Forwarded-*</c> headers a backend believes,
/// as comma-separated IP addresses (<c>10.0.0.5</c>) and CIDR networks (<c>10.0.0.0/24</c>).
/// </summary>
internal static class TrustedProxies
{
    /// <summary>Splits and parses <paramref name="value"/>; false with the first entry that is neither an address nor a network.</summary>
    public static bool TryParse(string? value, out IReadOnlyList<IPAddress> addresses, out IReadOnlyList<IPNetwork> networks, out string? invalid)
    {
        var parsedAddresses = new List<IPAddress>();
        var parsedNetworks = new List<IPNetwork>();
        addresses = parsedAddresses;
        networks = parsedNetworks;
        invalid = null;
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(entry, out var network))
            {
                parsedNetworks.Add(network);
            }
            else if (!entry.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(entry, out var address))
            {
                parsedAddresses.Add(address);
            }
            else
            {
                invalid = entry;
                return false;
            }
        }

        return true;
    }
}
