using System.Security.Claims;

namespace PerfCI.Server.Accounts;

/// <summary>
/// Who did it, for the audit trail (triaged by, approved by, accepted by): always the signed-in user
/// or the API token's user. A request may still say <c>by</c> (older scripts do) only when it names
/// the caller; any other name is refused, so that nobody acts under someone else's name.
/// </summary>
public static class Actor
{
    /// <summary>The caller's name, or an error for the <c>by</c> field.</summary>
    public static (string? By, string? Error) Resolve(ClaimsPrincipal user, string? by)
    {
        if (user.Identity is not { IsAuthenticated: true, Name: { Length: > 0 } name })
            return (null, "Sign in: actions are recorded under the signed-in user's name.");
        if (!string.IsNullOrWhiteSpace(by) && !string.Equals(by.Trim(), name, StringComparison.OrdinalIgnoreCase))
            return (null, $"Leave it out: the action is recorded as the signed-in user ({name}), never under another name.");
        return (name, null);
    }
}
