using Microsoft.AspNetCore.Identity;

namespace PerfCI.Data.Entities;

/// <summary>
/// A person who signs in to the dashboard or calls the API with a token. The user name is the email
/// address, and it is what the audit trail records (who triaged, approved, accepted).
/// </summary>
public sealed class PerfCiUser : IdentityUser<long>
{
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set when an admin disables the account: no sign-in, its cookies and API tokens stop working.</summary>
    public DateTimeOffset? DisabledAt { get; set; }
}
