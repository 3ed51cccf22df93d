using Microsoft.Extensions.Options;

namespace PerfCI.Server.Accounts;

/// <summary>Who may read, and the first admin. Bound from the <c>Access</c> section.</summary>
public sealed class AccessOptions
{
    public const string SectionName = "Access";

    /// <summary>Anyone may read runs, trends and alerts without signing in; false: reading needs an account.</summary>
    public bool PublicRead { get; set; } = true;

    /// <summary>With <see cref="AdminPassword"/>: an admin created at start when there is no admin yet.</summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }
}

internal sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var email = !string.IsNullOrWhiteSpace(options.AdminEmail);
        var password = !string.IsNullOrEmpty(options.AdminPassword);
        if (email != password)
            return ValidateOptionsResult.Fail("Access:AdminEmail and Access:AdminPassword go together: set both (the first admin) or neither.");
        if (email && !UserAccounts.IsEmail(options.AdminEmail!))
            return ValidateOptionsResult.Fail("Access:AdminEmail must be an email address.");
        return ValidateOptionsResult.Success;
    }
}
