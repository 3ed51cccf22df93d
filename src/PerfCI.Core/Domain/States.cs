namespace PerfCI.Core.Domain;

/// <summary>Why a run exists. Stored as the PostgreSQL enum <c>run_trigger</c>.</summary>
public enum RunTrigger
{
    Push,
    PullRequest,
    Manual,
    Bisect,
    Schedule,
}

public enum RunState
{
    /// <summary>Created; its jobs are not expanded from perfci.yml yet.</summary>
    Pending,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public enum JobState
{
    Queued,
    /// <summary>Held by a runner under a lease; heartbeats extend it.</summary>
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public enum RunnerState
{
    Idle,
    Busy,
    Offline,
    /// <summary>The credential was revoked; the runner must stop and not restart.</summary>
    Revoked,
}

/// <summary>Which way is better for a metric: latency lower, throughput higher.</summary>
public enum MetricDirection
{
    LowerIsBetter,
    HigherIsBetter,
}

/// <summary>What a change point (or alert) means for the user, given the metric's direction.</summary>
public enum ChangeKind
{
    Regression,
    Improvement,
}

public enum AlertKind
{
    Regression,
    Improvement,
    /// <summary>A series stopped receiving points: the benchmark itself is probably broken.</summary>
    NoData,
}

public enum AlertState
{
    New,
    Acknowledged,
    Confirmed,
    Invalid,
    WontFix,
    Fixed,
}

public enum PullRequestState
{
    Open,
    Closed,
    Merged,
}

public enum BisectState
{
    Queued,
    Running,
    /// <summary>Narrowed to one commit.</summary>
    Succeeded,
    /// <summary>Stopped with a range or no reproducible difference; the reason says which.</summary>
    Inconclusive,
    Failed,
    Cancelled,
}

public enum BisectDecision
{
    Pending,
    SameAsGood,
    SameAsBad,
    Unknown,
    /// <summary>The commit failed to build or run, as <c>git bisect skip</c>.</summary>
    Skipped,
}

public enum BisectMode
{
    FirstParent,
    FullDag,
}

/// <summary>When the PR comment is posted.</summary>
public enum CommentPolicy
{
    Always,
    OnChange,
    Never,
}
