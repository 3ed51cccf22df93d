using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

public sealed record UserView(long Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

/// <summary>What an account operation gives back: the user, or errors keyed by the field they are about.</summary>
public sealed record AccountResult(UserView? User, Dictionary<string, string[]> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    public static AccountResult Fail(string field, string message) => new(null, new() { [field] = [message] });
}

/// <summary>
/// Local accounts: each user has one role (viewer, maintainer or admin) and signs in with email and
/// password. One place for the CLI, the first admin from configuration, the users page and the tests.
/// There is always at least one enabled admin once there was one: the last cannot be demoted or disabled.
/// </summary>
public sealed class UserAccounts(UserManager<PerfCiUser> users, PerfCiDbContext db, TimeProvider time)
{
    public static bool IsEmail(string text) =>
        text.Length <= 256 && MailAddress.TryCreate(text.Trim(), out var address) && address.Address == text.Trim() && address.Host.Length > 0;

    public static bool IsRole(string? role) => role is not null && PerfCiRoles.All.Contains(role);

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken cancellationToken) =>
        await Views(db.Users.AsNoTracking().OrderBy(u => u.NormalizedEmail)).ToListAsync(cancellationToken);

    public Task<UserView?> FindAsync(long id, CancellationToken cancellationToken) =>
        Views(db.Users.AsNoTracking().Where(u => u.Id == id)).SingleOrDefaultAsync(cancellationToken);

    public Task<UserView?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var normalized = users.NormalizeEmail(email.Trim());
        return Views(db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized)).SingleOrDefaultAsync(cancellationToken);
    }

    public Task<bool> AnyAdminAsync(CancellationToken cancellationToken) =>
        db.UserRoles.AnyAsync(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == PerfCiRoles.Admin) && db.Users.Any(u => u.Id == ur.UserId && u.DisabledAt == null), cancellationToken);

    public async Task<AccountResult> CreateAsync(string? email, string? password, string? role, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(email) || !IsEmail(email))
            errors["email"] = ["Required: an email address."];
        if (string.IsNullOrEmpty(password))
            errors["password"] = ["Required."];
        if (!IsRole(role))
            errors["role"] = [$"Required: one of {string.Join(", ", PerfCiRoles.All)}."];
        if (errors.Count > 0)
            return new AccountResult(null, errors);

        var user = new PerfCiUser { UserName = email!.Trim(), Email = email.Trim(), EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded)
            return new AccountResult(null, Errors(created));
        var added = await users.AddToRoleAsync(user, role!);
        if (!added.Succeeded)
            return new AccountResult(null, Errors(added));
        return new AccountResult(await FindAsync(user.Id, cancellationToken), []);
    }

    /// <summary>Gives the user this role instead of their current one; it applies to their sessions within a minute, to their tokens at once.</summary>
    public async Task<AccountResult> SetRoleAsync(long id, string? role, CancellationToken cancellationToken)
    {
        if (!IsRole(role))
            return AccountResult.Fail("role", $"Required: one of {string.Join(", ", PerfCiRoles.All)}.");
        if (await users.FindByIdAsync(Id(id)) is not { } user)
            return AccountResult.Fail("id", $"There is no user {id}.");
        var current = await users.GetRolesAsync(user);
        if (current.Contains(PerfCiRoles.Admin) && role != PerfCiRoles.Admin && await IsLastAdminAsync(user, cancellationToken))
            return AccountResult.Fail("role", "This is the last admin: make another user admin first.");
        if (current.Count != 1 || current[0] != role)
        {
            var removed = await users.RemoveFromRolesAsync(user, current);
            if (!removed.Succeeded)
                return new AccountResult(null, Errors(removed));
            var added = await users.AddToRoleAsync(user, role!);
            if (!added.Succeeded)
                return new AccountResult(null, Errors(added));
            // Signed-in sessions re-read their roles when their security stamp is checked.
            await users.UpdateSecurityStampAsync(user);
        }
        return new AccountResult(await FindAsync(id, cancellationToken), []);
    }

    /// <summary>Disables (or enables again) an account: no sign-in, its sessions end within a minute, its API tokens stop at once.</summary>
    public async Task<AccountResult> SetDisabledAsync(long id, bool disabled, CancellationToken cancellationToken)
    {
        if (await users.FindByIdAsync(Id(id)) is not { } user)
            return AccountResult.Fail("id", $"There is no user {id}.");
        if (disabled && user.DisabledAt is null)
        {
            if (await users.IsInRoleAsync(user, PerfCiRoles.Admin) && await IsLastAdminAsync(user, cancellationToken))
                return AccountResult.Fail("id", "This is the last admin: make another user admin first.");
            user.DisabledAt = time.GetUtcNow();
            await users.UpdateSecurityStampAsync(user);
        }
        else if (!disabled && user.DisabledAt is not null)
        {
            user.DisabledAt = null;
            await users.UpdateAsync(user);
        }
        return new AccountResult(await FindAsync(id, cancellationToken), []);
    }

    /// <summary>A new password chosen for the user (by an admin, or by <c>perfci create-admin</c> on an existing account).</summary>
    public async Task<AccountResult> SetPasswordAsync(long id, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(password))
            return AccountResult.Fail("password", "Required.");
        if (await users.FindByIdAsync(Id(id)) is not { } user)
            return AccountResult.Fail("id", $"There is no user {id}.");
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var reset = await users.ResetPasswordAsync(user, token, password);
        return reset.Succeeded ? new AccountResult(await FindAsync(id, cancellationToken), []) : new AccountResult(null, Errors(reset));
    }

    private async Task<bool> IsLastAdminAsync(PerfCiUser user, CancellationToken cancellationToken) =>
        !await db.UserRoles.AnyAsync(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == PerfCiRoles.Admin) && ur.UserId != user.Id && db.Users.Any(u => u.Id == ur.UserId && u.DisabledAt == null), cancellationToken);

    private IQueryable<UserView> Views(IQueryable<PerfCiUser> query) =>
        query.Select(u => new UserView(
            u.Id, u.Email ?? u.UserName ?? "",
            db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name).FirstOrDefault() ?? "",
            u.CreatedAt, u.DisabledAt));

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Identity's errors under the field they are about, so that an API answers 400 naming it.</summary>
    private static Dictionary<string, string[]> Errors(IdentityResult result) =>
        result.Errors
            .GroupBy(e => e.Code switch
            {
                _ when e.Code.StartsWith("Password", StringComparison.Ordinal) => "password",
                _ when e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) => "email",
                _ when e.Code.Contains("Role", StringComparison.Ordinal) => "role",
                _ => "account",
            })
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
}
