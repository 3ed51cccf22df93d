using Microsoft.Playwright;
using PerfCI.Ui.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace PerfCI.Ui.Tests;

/// <summary>Signing in through the login page, and what each role is offered, in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LoginTests(DashboardServer server, Chromium chromium)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Admin_LogsIn_AndIsOfferedTheAdminActions()
    {
        await using var browser = await chromium.NewSessionAsync(server, nameof(Admin_LogsIn_AndIsOfferedTheAdminActions));

        await browser.LogInAsync(DashboardServer.AdminEmail, server.AdminPassword);
        await browser.GotoAsync("/settings/users", "users");

        await Expect(browser.Page.GetByTestId("add-user")).ToBeVisibleAsync();
        await Expect(browser.Page.GetByTestId("users-table")).ToContainTextAsync(DashboardServer.AdminEmail);
        await Expect(AdminJobsLink(browser.Page)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Viewer_IsOfferedNoAdminAction_AndForcingOneWithItsSessionGets403()
    {
        var (email, password) = await server.CreateUserAsync("viewer", Ct);
        await using var browser = await chromium.NewSessionAsync(server, nameof(Viewer_IsOfferedNoAdminAction_AndForcingOneWithItsSessionGets403));

        await browser.LogInAsync(email, password);
        await browser.GotoAsync("/settings/users", "users");

        // The page is there (the viewer's own API tokens), the user administration is not.
        await Expect(browser.Page.GetByTestId("tokens-table")).ToBeVisibleAsync();
        await Expect(browser.Page.GetByTestId("add-user")).ToHaveCountAsync(0);
        await Expect(browser.Page.GetByTestId("users-table")).ToHaveCountAsync(0);
        await Expect(AdminJobsLink(browser.Page)).ToHaveCountAsync(0);

        // The same session cookie, sent straight to the server.
        var api = browser.Page.APIRequest;
        var repository = await api.PostAsync("/api/repositories", new APIRequestContextOptions { DataObject = new { owner = "viewer", name = "sneaky" } });
        var user = await api.PostAsync("/api/users", new APIRequestContextOptions { DataObject = new { email = "sneaky@perfci.test", password = "long-enough-password", role = "admin" } });
        var hangfire = await api.GetAsync("/hangfire", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal(403, repository.Status);
        Assert.Equal(403, user.Status);
        // A page, not an API: the browser is sent to the access-denied page instead of Hangfire's.
        Assert.Equal(302, hangfire.Status);
        Assert.StartsWith("/account/access-denied", new Uri(new Uri(server.Url), hangfire.Headers["location"]).PathAndQuery, StringComparison.Ordinal);
    }

    /// <summary>The app bar's link to the background jobs (Hangfire), shown to admins only.</summary>
    private static ILocator AdminJobsLink(IPage page) => page.Locator("header a[href='/hangfire']");
}
