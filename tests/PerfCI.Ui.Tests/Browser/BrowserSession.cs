using Microsoft.Playwright;

namespace PerfCI.Ui.Tests.Browser;

/// <summary>
/// One test's browser: a page in its own context, with what the tests do through it. Every page
/// visited (and every step a test names) is saved as a screenshot under
/// <see cref="Chromium.ScreenshotDirectory"/>, named TEST-NN-STEP.png.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly string _test;
    private readonly List<string> _consoleErrors = [];
    private int _shots;

    internal BrowserSession(IBrowserContext context, IPage page, DashboardServer server, string test)
    {
        _context = context;
        _test = test;
        Page = page;
        Server = server;
        page.Console += (_, message) =>
        {
            // The browser asks for /favicon.ico by itself; the dashboard has none, and says nothing about the page.
            if (message.Type == "error" && !message.Location.Contains("/favicon.ico", StringComparison.Ordinal))
            {
                lock (_consoleErrors)
                    _consoleErrors.Add($"{message.Text} ({message.Location})");
            }
        };
    }

    public IPage Page { get; }
    public DashboardServer Server { get; }

    /// <summary>The browser console's errors so far (a circuit that failed, a script that threw).</summary>
    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_consoleErrors)
                return [.. _consoleErrors];
        }
    }

    /// <summary>The screenshots this session saved, in order.</summary>
    public List<string> Screenshots { get; } = [];

    /// <summary>
    /// Opens <paramref name="path"/>, waits until the page runs on its circuit (clicks on a
    /// prerendered page do nothing), and saves a screenshot named <paramref name="step"/> (default: the path).
    /// </summary>
    public async Task<IResponse?> GotoAsync(string path, string? step = null)
    {
        var response = await Page.GotoAsync(path);
        await WaitForInteractiveAsync();
        await ScreenshotAsync(step ?? (path == "/" ? "home" : path));
        return response;
    }

    /// <summary>
    /// Waits for the marker the layout renders only once interactive (InteractivityMarker): the
    /// Blazor circuit is connected and has rendered the page.
    /// </summary>
    public Task WaitForInteractiveAsync() =>
        Page.GetByTestId("interactive").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    /// <summary>
    /// Signs in through the login page (<c>/account/login</c>, a static form that sets the session
    /// cookie), then waits until <paramref name="returnUrl"/> runs on its circuit and the app bar
    /// names the user. A refused login fails with the page's error.
    /// </summary>
    public async Task LogInAsync(string email, string password, string returnUrl = "/")
    {
        await Page.GotoAsync($"/account/login?ReturnUrl={Uri.EscapeDataString(returnUrl)}");
        await ScreenshotAsync("login");
        await Page.GetByTestId("login-email").FillAsync(email);
        await Page.GetByTestId("login-password").FillAsync(password);
        await Page.GetByTestId("login-submit").ClickAsync();
        var signedIn = Page.GetByTestId("signed-in-user");
        var refused = Page.GetByTestId("login-error");
        await signedIn.Or(refused).First.WaitForAsync();
        if (await refused.IsVisibleAsync())
            throw new InvalidOperationException($"Login as {email} refused: {await refused.InnerTextAsync()}");
        await WaitForInteractiveAsync();
        await Assertions.Expect(signedIn).ToContainTextAsync(email);
        await ScreenshotAsync("logged-in");
    }

    /// <summary>A full-page screenshot of what the browser shows now; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string step)
    {
        var name = $"{Sanitize(_test)}-{Interlocked.Increment(ref _shots):00}-{Sanitize(step)}.png";
        var path = Path.Combine(Chromium.ScreenshotDirectory, name);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Screenshots.Add(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // The last state of the page, whatever the test did last (a failure's screenshot too).
            if (!Page.IsClosed)
                await ScreenshotAsync("end");
        }
        catch (PlaywrightException)
        {
            // The page crashed or closed: nothing to capture.
        }
        await _context.DisposeAsync();
    }

    private static string Sanitize(string text)
    {
        var name = new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]).Trim('-');
        return name.Length == 0 ? "page" : name.Length > 60 ? name[..60] : name;
    }
}
