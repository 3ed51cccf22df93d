using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

/// <summary>Alerts of one commit range, triaged as one thing (like Perfherder's alert summaries).</summary>
public sealed class AlertGroup
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    /// <summary>Last commit known good; the culprit lies after it.</summary>
    public long? FromCommitId { get; set; }
    public Commit? FromCommit { get; set; }
    /// <summary>First commit known bad.</summary>
    public long ToCommitId { get; set; }
    public Commit ToCommit { get; set; } = null!;
    public AlertState State { get; set; }
    public long? CulpritCommitId { get; set; }
    public long? BisectId { get; set; }
    /// <summary>The issue PerfCI opened for this group, when the repository asks for issues.</summary>
    public int? GitHubIssueNumber { get; set; }
    /// <summary>The pull request that brought the culprit in, once PerfCI has commented on it.</summary>
    public int? CulpritPullRequestNumber { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<Alert> Alerts { get; set; } = [];
}

public sealed class Alert
{
    public long Id { get; set; }
    public long GroupId { get; set; }
    public AlertGroup Group { get; set; } = null!;
    public long SeriesId { get; set; }
    public Series Series { get; set; } = null!;
    public long? ChangePointId { get; set; }
    public ChangePoint? ChangePoint { get; set; }
    public AlertKind Kind { get; set; }
    public AlertState State { get; set; }
    public double Magnitude { get; set; }
    public double MagnitudeLower { get; set; }
    public double MagnitudeUpper { get; set; }
    public double Noise { get; set; }
    public string? TriagedBy { get; set; }
    public DateTimeOffset? TriagedAt { get; set; }
    public string? Note { get; set; }
    /// <summary>The later change point that reversed this one and closed it as fixed.</summary>
    public long? FixedByChangePointId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
