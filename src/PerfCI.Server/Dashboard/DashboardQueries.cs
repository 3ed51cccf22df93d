using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using Microsoft.Extensions.Options;
using PerfCI.Server.GitHub;
using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

/// <summary>The dashboard's reads: no tracking, a fresh context per call (Blazor circuits outlive a request).</summary>
public sealed class DashboardQueries(IDbContextFactory<PerfCiDbContext> contexts, IOptions<GitHubOptions> github, TimeProvider time) : IDashboardQueries
{
    private static readonly AlertState[] OpenAlertStates = [AlertState.New, AlertState.Acknowledged, AlertState.Confirmed];

    /// <summary>Runs and open pull requests shown per repository: a glance, the runs page has the rest.</summary>
    public const int PerRepository = 5;
    public const int QueueShown = 10;

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

        var queue = await db.Jobs.AsNoTracking().Where(j => j.State == JobState.Queued).OrderBy(j => j.QueuedAt).ThenBy(j => j.Id).Take(QueueShown)
            .Select(j => new QueuedJobSummary(j.Id, j.RunId, j.Run.Repository.Owner + "/" + j.Run.Repository.Name, j.Suite.Name, j.RequiredLabels, j.QueuedAt))
            .ToListAsync(cancellationToken);

        var pullRequests = await PullRequestQueries.OpenAsync(contexts, PerRepository, github.Value.PublicUrl, time.GetUtcNow(), cancellationToken);
        // One lateral query: each repository's newest runs.
        var latest = (await db.Repositories.AsNoTracking()
                .SelectMany(r => db.Runs.Where(run => run.RepositoryId == r.Id)
                    .OrderByDescending(run => run.CreatedAt).ThenByDescending(run => run.Id).Take(PerRepository)
                    .Select(run => new { run.RepositoryId, run.Id, run.Commit.Sha, run.Trigger, run.State, run.CreatedAt }))
                .ToListAsync(cancellationToken))
            .OrderByDescending(run => run.CreatedAt).ThenByDescending(run => run.Id)
            .ToLookup(run => run.RepositoryId, run => new RecentRun(run.Id, run.Sha, run.Trigger, run.State, run.CreatedAt));
        var summaries = repositories.Select(r => new RepositorySummary(
            r.Id, $"{r.Owner}/{r.Name}", r.DefaultBranch, r.Runs, r.Latest?.State, r.Latest?.CreatedAt, r.OpenAlertGroups, [.. latest[r.Id]], [.. pullRequests[r.Id]])).ToList();

        return new HomeSummary(
            summaries,
            new FleetSummary(
                runners.GetValueOrDefault(RunnerState.Idle),
                runners.GetValueOrDefault(RunnerState.Busy),
                runners.GetValueOrDefault(RunnerState.Offline)),
            jobs.GetValueOrDefault(JobState.Queued),
            jobs.GetValueOrDefault(JobState.Running),
            queue);
    }
}
