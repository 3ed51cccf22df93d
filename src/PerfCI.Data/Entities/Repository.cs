using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

/// <summary>A GitHub repository (or a local one, for the demo and offline uploads) that PerfCI benchmarks.</summary>
public sealed class Repository
{
    public long Id { get; set; }
    public required string Owner { get; set; }
    public required string Name { get; set; }
    public required string CloneUrl { get; set; }
    public string DefaultBranch { get; set; } = "main";
    public RepositorySettings Settings { get; set; } = new();
    /// <summary>The GitHub App installation that grants access, when the App is used.</summary>
    public long? GitHubInstallationId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public string FullName => $"{Owner}/{Name}";
}
