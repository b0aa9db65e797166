namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A browser test: run when Chromium is installed, otherwise reported as skipped with the reason,
/// never passed silently. CI installs Debian's chromium.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Browser.ChromiumPath is null)
        {
            Skip = $"Chromium is not installed (looked for {string.Join(", ", Browser.Candidates)}); `apt-get install chromium` to run the browser tests.";
        }
    }
}
