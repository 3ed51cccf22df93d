using System.Security.Claims;

namespace PerfCI.Core.Access;

/// <summary>
/// The three roles of a PerfCI user. Each includes the ones before it: a maintainer can do what a
/// viewer can, an admin what a maintainer can. The server checks them on every action; the
/// dashboard only uses them to hide what a user may not do.
/// </summary>
public static class PerfCiRoles
{
    public const string Viewer = "viewer";
    public const string Maintainer = "maintainer";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Viewer, Maintainer, Admin];

    /// <summary>Triage, bisect, cancel, re-run, approve a pull request.</summary>
    public static bool CanMaintain(ClaimsPrincipal user) => user.IsInRole(Maintainer) || user.IsInRole(Admin);

    /// <summary>Runners, registration tokens, repositories, users, the Hangfire dashboard.</summary>
    public static bool CanAdminister(ClaimsPrincipal user) => user.IsInRole(Admin);
}

/// <summary>Authorization policy names, registered by the server, used by APIs and pages alike.</summary>
public static class PerfCiPolicies
{
    /// <summary>Reading: anyone when reading is public, else any signed-in user.</summary>
    public const string Read = "perfci:read";
    public const string Maintain = "perfci:maintain";
    public const string Administer = "perfci:administer";
}
