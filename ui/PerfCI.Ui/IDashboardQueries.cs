using PerfCI.Core.Domain;

namespace PerfCI.Ui;

/// <summary>
/// Everything the dashboard reads, implemented by the server with no-tracking queries. The pages
/// never see EF Core, so they can be rendered and tested against any implementation.
/// </summary>
public interface IDashboardQueries
{
    Task<HomeSummary> GetHomeAsync(CancellationToken cancellationToken);
}

public sealed record HomeSummary(
    IReadOnlyList<RepositorySummary> Repositories,
    FleetSummary Fleet,
    int QueuedJobs,
    int RunningJobs,
    IReadOnlyList<QueuedJobSummary>? Queue = null);

public sealed record RepositorySummary(
    long Id, string FullName, string DefaultBranch, int Runs, RunState? LatestRunState, DateTimeOffset? LatestRunAt, int OpenAlertGroups,
    IReadOnlyList<RecentRun>? LatestRuns = null, IReadOnlyList<PerfCI.Ui.PullRequests.PullRequestItem>? PullRequests = null);

public sealed record RecentRun(long Id, string Sha, RunTrigger Trigger, RunState State, DateTimeOffset CreatedAt);

/// <summary>The head of the job queue: what waits, for how long.</summary>
public sealed record QueuedJobSummary(long JobId, long RunId, string Repository, string Suite, string[] RequiredLabels, DateTimeOffset QueuedAt);

public sealed record FleetSummary(int Idle, int Busy, int Offline)
{
    public int Online => Idle + Busy;
    public int Total => Idle + Busy + Offline;
}
