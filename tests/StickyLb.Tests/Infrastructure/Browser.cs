using Microsoft.Playwright;

namespace StickyLb.Tests.Infrastructure;

/// <summary>Headless Chromium through Playwright, with the flags this machine needs, and a folder for screenshots.</summary>
internal sealed class Browser : IAsyncDisposable
{
    public static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public static string? ChromiumPath => Candidates.FirstOrDefault(File.Exists);

    /// <summary>Where screenshots go: $STICKYLB_ARTIFACTS (CI sets it), else artifacts/ beside the tests.</summary>
    public static string ArtifactsDirectory =>
        Directory.CreateDirectory(Environment.GetEnvironmentVariable("STICKYLB_ARTIFACTS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    public IPage Page { get; }

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath ?? throw new InvalidOperationException("Chromium is not installed."),
            Headless = true,
            // As root and on a closed network: no sandbox, no background traffic.
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 1000 } });
        return new Browser(playwright, browser, page);
    }

    /// <summary>Another page in the same browser, with cookies of its own: a second view beside <see cref="Page"/>.</summary>
    public Task<IPage> NewPageAsync() =>
        _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 1000 } });

    /// <summary>Saves a full-page screenshot as a test artifact and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>The environment variable that makes the browser tests rewrite the documentation's screenshots.</summary>
    public const string UpdateDocsVariable = "STICKYLB_UPDATE_DOCS";

    /// <summary>
    /// Saves the page as <c>docs/&lt;name&gt;.png</c> in the repository when <see cref="UpdateDocsVariable"/> is <c>1</c>,
    /// so that the README shows the product as a test drove it; returns the path, or null when not asked.
    /// </summary>
    public async Task<string?> DocsScreenshotAsync(string name)
    {
        if (Environment.GetEnvironmentVariable(UpdateDocsVariable) != "1")
        {
            return null;
        }

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "StickyLb.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("No StickyLb.sln above " + AppContext.BaseDirectory), "docs", name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
