using System.Security.Claims;
using PerfCI.Core.Access;

namespace PerfCI.Server.Access;

/// <summary>
/// Who acts, for the action services shared by the API and the dashboard. The role is checked here,
/// in the action, so hiding a button is never the only guard.
/// </summary>
public static class ActionRoles
{
    public static bool MayMaintain(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true && PerfCiRoles.CanMaintain(user);

    public static bool MayAdminister(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true && PerfCiRoles.CanAdminister(user);

    /// <summary>The name recorded on what the user decided (triaged by, approved by).</summary>
    public static string NameOf(ClaimsPrincipal user) =>
        user.Identity?.Name is { Length: > 0 } name ? name : user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";
}
