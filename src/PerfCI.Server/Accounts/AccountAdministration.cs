using System.Security.Claims;
using PerfCI.Core.Access;
using PerfCI.Ui.Settings;

namespace PerfCI.Server.Accounts;

/// <summary>
/// The users page's actions. A page lives as long as its circuit, so each call takes a fresh scope
/// (a fresh DbContext and user manager), and each checks the caller's role itself.
/// </summary>
internal sealed class AccountAdministration(IServiceScopeFactory scopes) : IAccountAdministration
{
    public async Task<IReadOnlyList<AccountUser>> ListUsersAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        await DemandAdminAsync(caller);
        await using var scope = scopes.CreateAsyncScope();
        var users = await scope.ServiceProvider.GetRequiredService<UserAccounts>().ListAsync(cancellationToken);
        return [.. users.Select(u => new AccountUser(u.Id, u.Email, u.Role, u.CreatedAt, u.DisabledAt))];
    }

    public Task<AccountChange> CreateUserAsync(ClaimsPrincipal caller, string email, string password, string role, CancellationToken cancellationToken) =>
        AsAdminAsync(caller, accounts => accounts.CreateAsync(email, password, role, cancellationToken));

    public Task<AccountChange> SetRoleAsync(ClaimsPrincipal caller, long userId, string role, CancellationToken cancellationToken) =>
        AsAdminAsync(caller, accounts => accounts.SetRoleAsync(userId, role, cancellationToken));

    public Task<AccountChange> SetDisabledAsync(ClaimsPrincipal caller, long userId, bool disabled, CancellationToken cancellationToken) =>
        AsAdminAsync(caller, accounts => accounts.SetDisabledAsync(userId, disabled, cancellationToken));

    public async Task<IReadOnlyList<AccountToken>> ListTokensAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        await DemandEnabledAsync(caller, admin: false);
        await using var scope = scopes.CreateAsyncScope();
        var tokens = await scope.ServiceProvider.GetRequiredService<ApiTokens>().ListAsync(caller.UserId(), cancellationToken);
        return [.. tokens.Select(t => new AccountToken(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt))];
    }

    public async Task<AccountChange> CreateTokenAsync(ClaimsPrincipal caller, string name, CancellationToken cancellationToken)
    {
        var errors = ApiTokens.ValidateName(name);
        if (errors.Count > 0)
            return new AccountChange(errors);
        await DemandEnabledAsync(caller, admin: false);
        await using var scope = scopes.CreateAsyncScope();
        var token = await scope.ServiceProvider.GetRequiredService<ApiTokens>().CreateAsync(caller.UserId(), name, cancellationToken);
        return new AccountChange(new Dictionary<string, string[]>(), token.Token);
    }

    public async Task<AccountChange> RevokeTokenAsync(ClaimsPrincipal caller, long tokenId, CancellationToken cancellationToken)
    {
        await DemandEnabledAsync(caller, admin: false);
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ApiTokens>().RevokeAsync(caller.UserId(), tokenId, cancellationToken)
            ? new AccountChange(new Dictionary<string, string[]>())
            : new AccountChange(new Dictionary<string, string[]> { ["id"] = [$"You have no token {tokenId}."] });
    }

    private async Task<AccountChange> AsAdminAsync(ClaimsPrincipal caller, Func<UserAccounts, Task<AccountResult>> action)
    {
        await DemandAdminAsync(caller);
        await using var scope = scopes.CreateAsyncScope();
        var result = await action(scope.ServiceProvider.GetRequiredService<UserAccounts>());
        return new AccountChange(result.Errors);
    }

    private Task DemandAdminAsync(ClaimsPrincipal caller) => DemandEnabledAsync(caller, admin: true);

    /// <summary>
    /// The caller as the database has them now, not as the circuit's claims remember them: a user
    /// demoted or disabled a moment ago can do nothing more from a page left open.
    /// </summary>
    private async Task DemandEnabledAsync(ClaimsPrincipal caller, bool admin)
    {
        if (caller.Identity?.IsAuthenticated != true)
            throw new UnauthorizedAccessException("Sign in first.");
        await using var scope = scopes.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserAccounts>().FindAsync(caller.UserId(), CancellationToken.None);
        if (user is null || user.DisabledAt is not null)
            throw new UnauthorizedAccessException("This account is disabled.");
        if (admin && user.Role != PerfCiRoles.Admin)
            throw new UnauthorizedAccessException("Only admins manage users.");
    }
}
