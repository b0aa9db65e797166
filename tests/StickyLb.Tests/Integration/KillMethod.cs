namespace StickyLb.Tests.Integration;

/// <summary>How a test kills a backend.</summary>
public enum KillMethod
{
    /// <summary><c>POST /api/backends/{id}/kill</c>.</summary>
    AdminApi,

    /// <summary><c>kill -9 &lt;pid&gt;</c> from outside the gateway.</summary>
    Sigkill,
}
