using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Accounts;

/// <summary>The dashboard's session: the static login form with its antiforgery token, the cookie, logout, the Hangfire dashboard.</summary>
public sealed partial class LoginTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task LoginForm_SetsTheSessionCookie_ThenAnAuthorizedCallWorks_AndLogoutEndsIt()
    {
        var (_, email, password) = await _server.CreateUserAsync(PerfCiRoles.Maintainer);
        using var browser = Browser();

        using var login = await LogInAsync(browser, email, password, returnUrl: "/runs");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/runs", new Uri(browser.BaseAddress!, login.Headers.Location!).PathAndQuery);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("perfci_session=", StringComparison.Ordinal));
        var me = await browser.GetFromJsonAsync<CurrentUserView>("/api/account", Ct);
        Assert.Equal((email, PerfCiRoles.Maintainer), (me!.Email, me.Role));
        var home = await browser.GetStringAsync("/", Ct);
        Assert.Contains("data-testid=\"signed-in-user\"", home, StringComparison.Ordinal);

        using var logout = await browser.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryToken(home),
            ["returnUrl"] = "/",
        }), Ct);
        using var after = await browser.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task LoginForm_RefusesAWrongPassword_AndAPostWithoutItsAntiforgeryToken()
    {
        var (_, email, password) = await _server.CreateUserAsync(PerfCiRoles.Viewer);
        using var browser = Browser();

        using var wrong = await LogInAsync(browser, email, password + "x");
        using var forged = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = password,
        }), Ct);
        using var after = await browser.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("data-testid=\"login-error\"", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task DisabledUser_CannotLogIn()
    {
        var (id, email, password) = await _server.CreateUserAsync(PerfCiRoles.Viewer);
        using var admin = await _server.CreateClientAsync(PerfCiRoles.Admin);
        (await admin.PostAsync($"/api/users/{id}/disable", null, Ct)).EnsureSuccessStatusCode();
        using var browser = Browser();

        using var login = await LogInAsync(browser, email, password);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("This account is disabled", await login.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HangfireDashboard_SendsAViewerAway_ServesAnAdmin_AndAsksAVisitorToLogIn()
    {
        var viewer = await _server.CreateUserAsync(PerfCiRoles.Viewer);
        var admin = await _server.CreateUserAsync(PerfCiRoles.Admin);
        using var visitorBrowser = Browser();
        using var viewerBrowser = Browser();
        using var adminBrowser = Browser();
        (await LogInAsync(viewerBrowser, viewer.Email, viewer.Password)).Dispose();
        (await LogInAsync(adminBrowser, admin.Email, admin.Password)).Dispose();

        using var visitor = await visitorBrowser.GetAsync("/hangfire", Ct);
        using var refused = await viewerBrowser.GetAsync("/hangfire", Ct);
        using var served = await adminBrowser.GetAsync("/hangfire", Ct);

        Assert.Equal(HttpStatusCode.Redirect, visitor.StatusCode);
        Assert.StartsWith("/account/login", visitor.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/account/access-denied", refused.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("PerfCI jobs", await served.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsersPage_ShowsUserManagementToAnAdminOnly()
    {
        var viewer = await _server.CreateUserAsync(PerfCiRoles.Viewer);
        var admin = await _server.CreateUserAsync(PerfCiRoles.Admin);
        using var viewerBrowser = Browser();
        using var adminBrowser = Browser();
        (await LogInAsync(viewerBrowser, viewer.Email, viewer.Password)).Dispose();
        (await LogInAsync(adminBrowser, admin.Email, admin.Password)).Dispose();

        var asViewer = await viewerBrowser.GetStringAsync("/settings/users", Ct);
        var asAdmin = await adminBrowser.GetStringAsync("/settings/users", Ct);

        Assert.DoesNotContain("data-testid=\"users-table\"", asViewer, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"tokens-table\"", asViewer, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"users-table\"", asAdmin, StringComparison.Ordinal);
        Assert.Contains(viewer.Email, asAdmin, StringComparison.Ordinal);
    }

    /// <summary>A client that keeps cookies and does not follow redirects, as a test of what the server answers.</summary>
    private HttpClient Browser() => _server.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>What a browser does: load the login page (its antiforgery cookie and token), then post the form.</summary>
    private static async Task<HttpResponseMessage> LogInAsync(HttpClient browser, string email, string password, string? returnUrl = null)
    {
        var page = "/account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var html = await browser.GetStringAsync(page, Ct);
        Assert.Contains("data-testid=\"login-form\"", html, StringComparison.Ordinal);
        return await browser.PostAsync(page, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(html),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }), Ct);
    }

    private static string AntiforgeryToken(string html) =>
        TokenInput().Match(html) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups["value"].Value)
            : throw new InvalidOperationException("The page has no antiforgery token:\n" + html);

    [GeneratedRegex("""<input[^>]*name="__RequestVerificationToken"[^>]*value="(?<value>[^"]+)"|<input[^>]*value="(?<value>[^"]+)"[^>]*name="__RequestVerificationToken"[^>]*""")]
    private static partial Regex TokenInput();
}
