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
    int RunningJobs);

public sealed record RepositorySummary(
    long Id, string FullName, string DefaultBranch, int Runs, RunState? LatestRunState, DateTimeOffset? LatestRunAt, int OpenAlertGroups);

public sealed record FleetSummary(int Idle, int Busy, int Offline)
{
    public int Online => Idle + Busy;
    public int Total => Idle + Busy + Offline;
}
