using Microsoft.Playwright;

namespace PerfCI.Ui.Tests.Browser;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, installed by tests/run.sh) driven by Playwright, one
/// browser per test run; each test gets its own context (<see cref="NewSessionAsync"/>), so cookies
/// and storage never leak between tests. Playwright never downloads a browser here.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>
    /// Where screenshots go: <c>$PERFCI_TEST_ARTIFACTS/screenshots</c>, else <c>screenshots/</c> in
    /// the test assembly's folder (tests/PerfCI.Ui.Tests/bin/CONFIGURATION/net10.0/screenshots).
    /// </summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("PERFCI_TEST_ARTIFACTS") is { Length: > 0 } artifacts ? artifacts : AppContext.BaseDirectory,
        "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's Chromium (apt-get install chromium; tests/run.sh does).");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh browser context on <paramref name="server"/>; screenshots are named after <paramref name="test"/>.</summary>
    public async Task<BrowserSession> NewSessionAsync(DashboardServer server, string test)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Url,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        // A loaded 2-core machine renders slowly: generous waits, never sleeps.
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(60_000);
        return new BrowserSession(context, await context.NewPageAsync(), server, test);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
