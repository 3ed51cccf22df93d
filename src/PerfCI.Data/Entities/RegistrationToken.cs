namespace PerfCI.Data.Entities;

/// <summary>A one-time token an admin creates; a runner exchanges it for its own credential.</summary>
public sealed class RegistrationToken
{
    public long Id { get; set; }
    public required byte[] TokenHash { get; set; }
    /// <summary>Labels given to the runner that registers with this token, besides its own.</summary>
    public string[] Labels { get; set; } = [];
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public long? UsedByRunnerId { get; set; }
}
