using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;

namespace PerfCI.Ui.Runs;

/// <summary>The runs list and one run's page: what ran, where, what it measured, its live log.</summary>
public interface IRunQueries
{
    Task<IReadOnlyList<string>> RepositoriesAsync(CancellationToken cancellationToken);
    Task<IReadOnlyList<RunListItem>> ListAsync(RunFilter filter, CancellationToken cancellationToken);
    Task<RunDetail?> GetAsync(long id, CancellationToken cancellationToken);
    /// <summary>The job's log of its current attempt after <paramref name="afterSequence"/>: the page polls it while the job runs.</summary>
    Task<JobLogView> LogAsync(long jobId, int afterSequence, CancellationToken cancellationToken);
}

/// <summary>Cancel and re-run, checked against the user's role (maintainer) on the server.</summary>
public interface IRunActions
{
    Task<ActionOutcome<long>> CancelAsync(ClaimsPrincipal user, long runId, CancellationToken cancellationToken);
    /// <summary>A new run of the same commit, suites and hardware class; its id.</summary>
    Task<ActionOutcome<long>> RerunAsync(ClaimsPrincipal user, long runId, CancellationToken cancellationToken);
}

public sealed record RunFilter(string? Repository = null, RunState? State = null, int Take = 100);

public sealed record RunListItem(
    long Id, string Repository, string Sha, string CommitMessage, RunTrigger Trigger, RunState State, int? PullRequestNumber,
    int Jobs, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

public sealed record RunDetail(
    long Id, string Repository, string Sha, string CommitMessage, string Author, DateTimeOffset? CommittedAt, RunTrigger Trigger, RunState State,
    string? Error, string? RequestedBy, int? PullRequestNumber, string? HardwareClass, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<JobDetail> Jobs, IReadOnlyList<MetricRow> Metrics, IReadOnlyList<GpuTraceView> Telemetry)
{
    public bool IsActive => State is RunState.Pending or RunState.Queued or RunState.Running;
}

public sealed record JobDetail(
    long Id, string Suite, JobState State, int Attempt, int MaxAttempts, string? RunnerName, string? HardwareClass, string? Hardware,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, string? EngineLogTail);

/// <summary>One metric of one scenario: the summary and each trial's value.</summary>
public sealed record MetricRow(string Suite, string Scenario, string Metric, string Unit, MetricDirection Direction, string HardwareClass, double Median, IReadOnlyList<double> Trials);

/// <summary>One GPU's readings during one trial of one scenario, in seconds since the trial started.</summary>
public sealed record GpuTraceView(string Scenario, int Trial, int Gpu, IReadOnlyList<GpuTraceReading> Readings);

public sealed record GpuTraceReading(double Seconds, double? MemoryUsedMiB, double? UtilizationPercent, double? PowerW, double? SmClockMHz);

public sealed record JobLogView(long JobId, int Attempt, JobState State, IReadOnlyList<JobLogLine> Chunks)
{
    public int LastSequence => Chunks.Count == 0 ? -1 : Chunks[^1].Sequence;
}

public sealed record JobLogLine(int Sequence, string Text);
