namespace StickyLb.Proxy.Admin;

/// <summary>Endpoint metadata: which listener an endpoint answers on.</summary>
internal sealed class ListenerMetadata
{
    public static readonly ListenerMetadata Admin = new(isAdmin: true);
    public static readonly ListenerMetadata Gateway = new(isAdmin: false);

    private ListenerMetadata(bool isAdmin) => IsAdmin = isAdmin;

    /// <summary>True: only on the admin port. False: only on the gateway port.</summary>
    public bool IsAdmin { get; }
}
