using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Analysis;

/// <summary>
/// After a run ends: brings the default branch's history up to date, queues the analysis of every
/// series the run measured on it (one job per series, serialised per series), and looks for series
/// that stopped receiving points.
/// </summary>
public sealed class AnalyzeRunJob(PerfCiDbContext db, CommitHistory history, IBackgroundJobClient jobs, TimeProvider time, ILogger<AnalyzeRunJob> logger)
{
    [AutomaticRetry(Attempts = 3)]
    public async Task RunAsync(long runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Include(r => r.Commit).SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null)
            return;
        if (run.Commit.FirstParentPosition is null)
            await history.RefreshAsync(run.RepositoryId, cancellationToken);
        var position = await db.Commits.Where(c => c.Id == run.CommitId).Select(c => c.FirstParentPosition).SingleAsync(cancellationToken);
        var anyHistory = position is not null || await db.Commits.AnyAsync(c => c.RepositoryId == run.RepositoryId && c.FirstParentPosition != null, cancellationToken);
        var onMainline = run.Trigger != RunTrigger.Bisect && (position is not null || (!anyHistory && run.Trigger != RunTrigger.PullRequest));
        if (!onMainline)
        {
            logger.LogInformation("Run {RunId} is not on the default branch: its series are compared, not analysed", runId);
            return;
        }
        var series = await db.Measurements.Where(m => m.RunId == runId).Select(m => m.SeriesId).Distinct().ToListAsync(cancellationToken);
        foreach (var seriesId in series)
            jobs.Enqueue<SeriesAnalysisJob>(job => job.RunAsync(seriesId, CancellationToken.None));
        if (position is not null)
            await CheckForMissingDataAsync(run, cancellationToken);
    }

    /// <summary>
    /// A series that got no point on the last N commits where its suite was benchmarked on its hardware
    /// class (a job ended there, or a sibling series got a point) is probably broken: a "no data" alert.
    /// It closes as fixed once points arrive again.
    /// </summary>
    private async Task CheckForMissingDataAsync(Run run, CancellationToken cancellationToken)
    {
        var settings = await db.Repositories.AsNoTracking().Where(r => r.Id == run.RepositoryId).Select(r => r.Settings).SingleAsync(cancellationToken);
        var after = Math.Max(1, settings.NoDataAlertAfterCommits);
        var scopes = await db.Measurements.Where(m => m.RunId == run.Id).Select(m => new { m.Series.SuiteId, m.Series.HardwareClass })
            .Union(db.Jobs.Where(j => j.RunId == run.Id && j.State == JobState.Failed && j.Runner != null).Select(j => new { j.SuiteId, j.Runner!.HardwareClass }))
            .Distinct().ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var scope in scopes)
        {
            var benchmarked = await db.Jobs
                .Where(j => j.SuiteId == scope.SuiteId && j.Runner != null && j.Runner.HardwareClass == scope.HardwareClass
                    && (j.State == JobState.Succeeded || j.State == JobState.Failed) && j.Run.Trigger != RunTrigger.Bisect && j.Run.Commit.FirstParentPosition != null)
                .Select(j => new { j.Run.CommitId, Position = j.Run.Commit.FirstParentPosition!.Value })
                .Union(db.Measurements
                    .Where(m => m.Series.SuiteId == scope.SuiteId && m.Series.HardwareClass == scope.HardwareClass && m.Commit.FirstParentPosition != null)
                    .Select(m => new { m.CommitId, Position = m.Commit.FirstParentPosition!.Value }))
                .Distinct().OrderBy(c => c.Position).ToListAsync(cancellationToken);
            var lastPoints = await db.Measurements
                .Where(m => m.Series.SuiteId == scope.SuiteId && m.Series.HardwareClass == scope.HardwareClass && m.Commit.FirstParentPosition != null)
                .GroupBy(m => m.SeriesId)
                .Select(g => new { SeriesId = g.Key, Position = g.Max(m => m.Commit.FirstParentPosition!.Value) })
                .ToListAsync(cancellationToken);
            var open = await db.Alerts.Where(a => a.Kind == AlertKind.NoData && a.Series.SuiteId == scope.SuiteId && a.Series.HardwareClass == scope.HardwareClass
                    && (a.State == AlertState.New || a.State == AlertState.Acknowledged || a.State == AlertState.Confirmed))
                .ToDictionaryAsync(a => a.SeriesId, cancellationToken);
            var strategy = db.Database.CreateExecutionStrategy();
            await strategy.ExecuteAsync(async ct =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await AlertGroups.LockRepositoryAsync(db, run.RepositoryId, ct);
                var touched = new List<long>();
                foreach (var last in lastPoints)
                {
                    var missed = benchmarked.Where(b => b.Position > last.Position).ToList();
                    if (open.TryGetValue(last.SeriesId, out var alert))
                    {
                        if (missed.Count == 0)
                        {
                            alert.State = AlertState.Fixed;
                            alert.TriagedBy = SeriesAnalysisJob.Fixer;
                            alert.TriagedAt = now;
                            alert.Note = "Points arrive again.";
                            touched.Add(alert.GroupId);
                        }
                        continue;
                    }
                    if (missed.Count < after)
                        continue;
                    var lastCommit = benchmarked.FirstOrDefault(b => b.Position == last.Position)?.CommitId
                        ?? await db.Commits.Where(c => c.RepositoryId == run.RepositoryId && c.FirstParentPosition == last.Position).Select(c => c.Id).SingleAsync(ct);
                    var group = await AlertGroups.ForRangeAsync(db, run.RepositoryId, lastCommit, missed[0].CommitId, now, ct);
                    db.Alerts.Add(new Alert
                    {
                        Group = group, SeriesId = last.SeriesId, Kind = AlertKind.NoData, State = AlertState.New, CreatedAt = now,
                        Note = $"No point on the last {missed.Count} benchmarked commits.",
                    });
                    logger.LogWarning("Series {SeriesId} has had no point for {Commits} benchmarked commits", last.SeriesId, missed.Count);
                }
                await db.SaveChangesAsync(ct);
                await AlertGroups.RefreshAsync(db, touched, ct);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }, cancellationToken);
        }
    }
}
