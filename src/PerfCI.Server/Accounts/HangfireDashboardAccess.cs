using Hangfire.Dashboard;
using PerfCI.Core.Access;

namespace PerfCI.Server.Accounts;

/// <summary>
/// The Hangfire dashboard can retry and delete jobs: admins only. The endpoint's Administer policy
/// sends a browser to the login page first; this filter is Hangfire's own check of the same.
/// </summary>
public sealed class HangfireDashboardAccess : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => PerfCiRoles.CanAdminister(context.GetHttpContext().User);
}
