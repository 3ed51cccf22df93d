using System.Security.Claims;

namespace PerfCI.Ui.Settings;

public sealed record AccountUser(long Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

public sealed record AccountToken(long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The outcome of a change: errors keyed by field, or success (with a new token's secret, shown once).</summary>
public sealed record AccountChange(IReadOnlyDictionary<string, string[]> Errors, string? Secret = null)
{
    public bool Succeeded => Errors.Count == 0;

    public string Message => string.Join(" ", Errors.SelectMany(e => e.Value));
}

/// <summary>
/// Users (admins only) and the caller's own API tokens, for the users page. The server checks the
/// caller's role on every call: hiding a button is not what protects an action.
/// </summary>
public interface IAccountAdministration
{
    Task<IReadOnlyList<AccountUser>> ListUsersAsync(ClaimsPrincipal caller, CancellationToken cancellationToken);

    Task<AccountChange> CreateUserAsync(ClaimsPrincipal caller, string email, string password, string role, CancellationToken cancellationToken);

    Task<AccountChange> SetRoleAsync(ClaimsPrincipal caller, long userId, string role, CancellationToken cancellationToken);

    Task<AccountChange> SetDisabledAsync(ClaimsPrincipal caller, long userId, bool disabled, CancellationToken cancellationToken);

    Task<IReadOnlyList<AccountToken>> ListTokensAsync(ClaimsPrincipal caller, CancellationToken cancellationToken);

    Task<AccountChange> CreateTokenAsync(ClaimsPrincipal caller, string name, CancellationToken cancellationToken);

    Task<AccountChange> RevokeTokenAsync(ClaimsPrincipal caller, long tokenId, CancellationToken cancellationToken);
}
