namespace PerfCI.Data.Entities;

/// <summary>
/// A token a script sends as <c>Authorization: Bearer perfci_api_...</c>. It acts as its user, with the
/// user's roles at the time of each call. Only its SHA-256 is stored; the token is shown once.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public PerfCiUser User { get; set; } = null!;
    public required string Name { get; set; }
    public required byte[] TokenHash { get; set; }
    /// <summary>The first characters of the token, so that a user can tell their tokens apart.</summary>
    public required string Prefix { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Updated at most once a minute, so that a busy script does not write on every call.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
