namespace PerfCI.Core.Domain;

/// <summary>Why a run exists. Stored as the PostgreSQL enum <c>run_trigger</c>.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<RunTrigger>))]
public enum RunTrigger
{
    Push,
    PullRequest,
    Manual,
    Bisect,
    Schedule,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<RunState>))]
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

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<JobState>))]
public enum JobState
{
    Queued,
    /// <summary>Held by a runner under a lease; heartbeats extend it.</summary>
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<RunnerState>))]
public enum RunnerState
{
    Idle,
    Busy,
    Offline,
    /// <summary>The credential was revoked; the runner must stop and not restart.</summary>
    Revoked,
}

/// <summary>Which way is better for a metric: latency lower, throughput higher.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<MetricDirection>))]
public enum MetricDirection
{
    LowerIsBetter,
    HigherIsBetter,
}

/// <summary>What a change point (or alert) means for the user, given the metric's direction.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<ChangeKind>))]
public enum ChangeKind
{
    Regression,
    Improvement,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<AlertKind>))]
public enum AlertKind
{
    Regression,
    Improvement,
    /// <summary>A series stopped receiving points: the benchmark itself is probably broken.</summary>
    NoData,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<AlertState>))]
public enum AlertState
{
    New,
    Acknowledged,
    Confirmed,
    Invalid,
    WontFix,
    Fixed,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<PullRequestState>))]
public enum PullRequestState
{
    Open,
    Closed,
    Merged,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<BisectState>))]
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

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<BisectDecision>))]
public enum BisectDecision
{
    Pending,
    SameAsGood,
    SameAsBad,
    Unknown,
    /// <summary>The commit failed to build or run, as <c>git bisect skip</c>.</summary>
    Skipped,
}

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<BisectMode>))]
public enum BisectMode
{
    FirstParent,
    FullDag,
}

/// <summary>When the PR comment is posted.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<CommentPolicy>))]
public enum CommentPolicy
{
    Always,
    OnChange,
    Never,
}
