namespace StickyLb.BackendApp;

/// <summary>
/// Names the BackendApp assembly for <c>WebApplicationFactory&lt;T&gt;</c>: a test project that
/// references two web apps cannot use the ambiguous <c>Program</c> type.
/// </summary>
public sealed class BackendAssemblyMarker
{
    private BackendAssemblyMarker()
    {
    }
}
