using System.Net;
using PerfCI.Core.Access;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Accounts;

/// <summary>Access:PublicRead off: every read needs an account, every page sends a visitor to log in.</summary>
public sealed class PublicReadTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Access:PublicRead"] = "false" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Reading_NeedsAnAccount_WhenPublicReadIsOff()
    {
        using var anonymous = _server.CreateClient(new() { AllowAutoRedirect = false });
        using var viewer = await _server.CreateClientAsync(PerfCiRoles.Viewer);

        using var refused = await anonymous.GetAsync("/api/repositories", Ct);
        using var allowed = await viewer.GetAsync("/api/repositories", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Pages_SendAVisitorToTheLoginPage_WhichItselfIsOpen()
    {
        using var anonymous = _server.CreateClient(new() { AllowAutoRedirect = false });

        using var home = await anonymous.GetAsync("/", Ct);
        using var login = await anonymous.GetAsync("/account/login", Ct);
        using var health = await anonymous.GetAsync("/health/live", Ct);

        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/account/login", home.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
