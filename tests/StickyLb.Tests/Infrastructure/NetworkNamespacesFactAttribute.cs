namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A test across hosts made of Linux network namespaces (<see cref="NetworkNamespaces"/>): run where they
/// can be made (root, iproute2, curl), otherwise reported as skipped with the reason, never passed
/// silently. CI runs as root, installs iproute2, and fails if such a test was skipped.
/// </summary>
public sealed class NetworkNamespacesFactAttribute : FactAttribute
{
    public NetworkNamespacesFactAttribute()
    {
        if (NetworkNamespaces.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}
