using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

public sealed class Bisect
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public long GoodCommitId { get; set; }
    public long BadCommitId { get; set; }
    public required string Suite { get; set; }
    public required string Scenario { get; set; }
    public required string Metric { get; set; }
    public required string HardwareClass { get; set; }
    public MetricDirection Direction { get; set; }
    public BisectMode Mode { get; set; }
    public int TrialsPerStep { get; set; } = 5;
    public int MaxTrialsPerStep { get; set; } = 40;
    public int MaxSteps { get; set; } = 30;
    /// <summary>Budget in runner time: the summed duration of the bisect's jobs may not exceed it.</summary>
    public double MaxRunnerHours { get; set; } = 24;
    /// <summary>How many commits are measured at once (k-ary split), fixed at the start so that replay is deterministic.</summary>
    public int Parallelism { get; set; } = 1;
    public BisectState State { get; set; }
    public long? AlertId { get; set; }
    public long? CulpritCommitId { get; set; }
    /// <summary>How it ended: culprit, range, no_difference or budget_exhausted (null while running, cancelled or failed).</summary>
    public string? Outcome { get; set; }
    /// <summary>The narrowest range it reached: the last commit like good and the first like bad.</summary>
    public long? LastGoodCommitId { get; set; }
    public long? FirstBadCommitId { get; set; }
    /// <summary>When it could not narrow to one commit: the smallest range, and why.</summary>
    public string? Conclusion { get; set; }
    public double? Magnitude { get; set; }
    public double? MagnitudeLower { get; set; }
    public double? MagnitudeUpper { get; set; }
    public string? RequestedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public List<BisectStep> Steps { get; set; } = [];
}

public sealed class BisectStep
{
    public long Id { get; set; }
    public long BisectId { get; set; }
    public int Sequence { get; set; }
    public long CommitId { get; set; }
    public Commit Commit { get; set; } = null!;
    /// <summary>The commit's place in the bisected range (good is 0, bad the last), for showing steps in range order.</summary>
    public int RangeIndex { get; set; }
    public long? RunId { get; set; }
    public double[] Samples { get; set; } = [];
    public BisectDecision Decision { get; set; }
    public double? PValue { get; set; }
    public string? Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}
