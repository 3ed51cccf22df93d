using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

/// <summary>The dashboard's reads: no tracking, a fresh context per call (Blazor circuits outlive a request).</summary>
public sealed class DashboardQueries(IDbContextFactory<PerfCiDbContext> contexts) : IDashboardQueries
{
    private static readonly AlertState[] OpenAlertStates = [AlertState.New, AlertState.Acknowledged, AlertState.Confirmed];

    public async Task<HomeSummary> GetHomeAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);

        var repositories = await db.Repositories.AsNoTracking()
            .OrderBy(r => r.Owner).ThenBy(r => r.Name)
            .Select(r => new
            {
                r.Id,
                r.Owner,
                r.Name,
                r.DefaultBranch,
                Runs = db.Runs.Count(run => run.RepositoryId == r.Id),
                Latest = db.Runs.Where(run => run.RepositoryId == r.Id)
                    .OrderByDescending(run => run.CreatedAt)
                    .Select(run => new { run.State, run.CreatedAt })
                    .FirstOrDefault(),
                OpenAlertGroups = db.AlertGroups.Count(g => g.RepositoryId == r.Id && OpenAlertStates.Contains(g.State)),
            })
            .ToListAsync(cancellationToken);

        var runners = await db.Runners.AsNoTracking()
            .GroupBy(r => r.State)
            .Select(g => new { State = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.State, g => g.Count, cancellationToken);

        var jobs = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued || j.State == JobState.Running)
            .GroupBy(j => j.State)
            .Select(g => new { State = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.State, g => g.Count, cancellationToken);

        return new HomeSummary(
            [.. repositories.Select(r => new RepositorySummary(
                r.Id, $"{r.Owner}/{r.Name}", r.DefaultBranch, r.Runs, r.Latest?.State, r.Latest?.CreatedAt, r.OpenAlertGroups))],
            new FleetSummary(
                runners.GetValueOrDefault(RunnerState.Idle),
                runners.GetValueOrDefault(RunnerState.Busy),
                runners.GetValueOrDefault(RunnerState.Offline)),
            jobs.GetValueOrDefault(JobState.Queued),
            jobs.GetValueOrDefault(JobState.Running));
    }
}
