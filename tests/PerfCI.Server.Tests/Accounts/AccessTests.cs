using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Accounts;

/// <summary>Who may do what through the HTTP API: API tokens, roles, and problem details instead of redirects.</summary>
public sealed class AccessTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
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
    public async Task ApiToken_ActsAsItsUser_WithTheUsersRole()
    {
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);

        var me = await client.GetFromJsonAsync<CurrentUserView>("/api/account", Ct);

        Assert.NotNull(me);
        Assert.Equal(PerfCiRoles.Maintainer, me.Role);
        Assert.StartsWith("maintainer-", me.Email, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProtectedApi_Answers401ProblemDetails_WithoutCredentials_NotARedirect()
    {
        using var client = _server.CreateClient(new() { AllowAutoRedirect = false });

        using var response = await client.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task AdminApi_Answers403ProblemDetails_ToAViewer_And200ToAnAdmin()
    {
        using var viewer = await _server.CreateClientAsync(PerfCiRoles.Viewer);
        using var admin = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var refused = await viewer.GetAsync("/api/users", Ct);
        var users = await admin.GetFromJsonAsync<UserView[]>("/api/users", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(users);
        Assert.Contains(users, u => u.Role == PerfCiRoles.Viewer);
        Assert.Contains(users, u => u.Role == PerfCiRoles.Admin);
    }

    [Fact]
    public async Task RevokedToken_Answers401_AndItsLastUseIsRecorded()
    {
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);
        var tokens = await client.GetFromJsonAsync<ApiTokenView[]>("/api/account/tokens", Ct);
        var token = Assert.Single(tokens!);
        Assert.NotNull(token.LastUsedAt);

        using var revoked = await client.PostAsync($"/api/account/tokens/{token.Id}/revoke", null, Ct);
        using var after = await client.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("application/problem+json", after.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UnknownToken_Answers401()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiTokens.Prefix + "not-a-real-token");

        using var response = await client.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task DisabledUser_TokensStopAtOnce()
    {
        using var admin = await _server.CreateClientAsync(PerfCiRoles.Admin);
        using var viewer = await _server.CreateClientAsync(PerfCiRoles.Viewer);
        var me = (await viewer.GetFromJsonAsync<CurrentUserView>("/api/account", Ct))!;

        using var disabled = await admin.PostAsync($"/api/users/{me.Id}/disable", null, Ct);
        using var after = await viewer.GetAsync("/api/account", Ct);

        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task CreateUser_Answers400NamingTheField_ForABadRoleOrShortPassword()
    {
        using var admin = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var response = await admin.PostAsJsonAsync("/api/users", new { email = "new@perfci.test", password = "short", role = "owner" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("role", out _));
    }
}
