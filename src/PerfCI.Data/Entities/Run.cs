using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

/// <summary>One request to benchmark one commit; expands into one job per suite.</summary>
public sealed class Run
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public long CommitId { get; set; }
    public Commit Commit { get; set; } = null!;
    public RunTrigger Trigger { get; set; }
    public RunState State { get; set; }
    public long? PullRequestId { get; set; }
    public PullRequest? PullRequest { get; set; }
    public long? BisectId { get; set; }
    /// <summary>Restricts the run's jobs to one hardware class (bisect steps, re-runs).</summary>
    public string? HardwareClass { get; set; }
    /// <summary>Only these suites; null means every suite of the definition.</summary>
    public string[]? SuiteFilter { get; set; }
    /// <summary>
    /// Only this scenario at this load point (a series' scenario key such as <c>chat@c4</c>, or
    /// <c>cold_start</c>); null means every scenario. A bisect step measures one series and nothing else.
    /// </summary>
    public string? ScenarioFilter { get; set; }
    /// <summary>Trials per load point instead of the suite's own count (a bisect step asks for as many as it needs).</summary>
    public int? Trials { get; set; }
    public string? RequestedBy { get; set; }
    /// <summary>Why the run failed before any job ran, e.g. a perfci.yml error with file and line.</summary>
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public List<Job> Jobs { get; set; } = [];
}
