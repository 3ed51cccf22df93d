using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Analysis;

/// <summary>
/// Re-analyses one series on the default branch: stores its change points, raises an alert for each
/// new one (grouped by commit range), drops unreviewed ones the data no longer supports, and closes a
/// regression as fixed once a later change brings the series back. Re-entrant: the result depends only
/// on the stored points, so a retry or a second run changes nothing.
/// </summary>
public sealed class SeriesAnalysisJob(PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time, ILogger<SeriesAnalysisJob> logger)
{
    public const string Fixer = "perfci";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution("series:{0}", 120)]
    public async Task RunAsync(long seriesId, CancellationToken cancellationToken)
    {
        var series = await db.Series.AsNoTracking().SingleOrDefaultAsync(s => s.Id == seriesId, cancellationToken);
        if (series is null)
            return;
        var points = await MainlinePoints.ReadAsync(db, seriesId, series.RepositoryId, cancellationToken);
        var threshold = await AnalysisThresholds.ForAsync(db, series, cancellationToken);
        var accepted = (await db.ChangePoints.Where(c => c.SeriesId == seriesId && c.Accepted).Select(c => c.CommitId).ToListAsync(cancellationToken)).ToHashSet();
        var lastAccepted = points.Select((p, i) => (p, i)).LastOrDefault(x => accepted.Contains(x.p.CommitId));
        var options = new ChangePointOptions
        {
            Direction = series.Direction,
            Threshold = threshold,
            BaselineStart = lastAccepted.p is null ? null : lastAccepted.i,
        };
        var changes = ChangePointDetector.Detect([.. points.Select(p => p.ToSeriesPoint())], options);
        var now = time.GetUtcNow();

        var regressed = new HashSet<long>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async ct =>
        {
            regressed.Clear();
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await AlertGroups.LockRepositoryAsync(db, series.RepositoryId, ct);
            var stored = await db.ChangePoints.Where(c => c.SeriesId == seriesId).ToDictionaryAsync(c => c.CommitId, ct);
            var alerts = await db.Alerts.Where(a => a.SeriesId == seriesId && a.Kind != AlertKind.NoData).ToListAsync(ct);
            var touchedGroups = new HashSet<long>();
            var found = new Dictionary<long, (ChangePoint Stored, DetectedChange Change)>();

            foreach (var change in changes)
            {
                var point = points[change.Index];
                long? previous = change.Index > 0 ? points[change.Index - 1].CommitId : null;
                if (!stored.TryGetValue(point.CommitId, out var changePoint))
                {
                    changePoint = new ChangePoint { SeriesId = seriesId, CommitId = point.CommitId, DetectedAt = now };
                    db.ChangePoints.Add(changePoint);
                    stored[point.CommitId] = changePoint;
                    var group = await AlertGroups.ForRangeAsync(db, series.RepositoryId, previous, point.CommitId, now, ct);
                    var alert = new Alert
                    {
                        Group = group, SeriesId = seriesId, ChangePoint = changePoint, State = AlertState.New, CreatedAt = now,
                        Kind = change.Kind == ChangeKind.Regression ? AlertKind.Regression : AlertKind.Improvement,
                    };
                    db.Alerts.Add(alert);
                    alerts.Add(alert);
                    logger.LogInformation("Series {SeriesId}: {Kind} of {Magnitude:P1} at {Commit}", seriesId, change.Kind, change.Magnitude, point.Sha);
                }
                // The window keeps filling in after a change is first seen: its figures are kept current.
                Describe(changePoint, change, previous);
                foreach (var alert in alerts.Where(a => ReferenceEquals(a.ChangePoint, changePoint) || (changePoint.Id != 0 && a.ChangePointId == changePoint.Id)))
                {
                    alert.Magnitude = change.Magnitude;
                    alert.MagnitudeLower = change.MagnitudeLower;
                    alert.MagnitudeUpper = change.MagnitudeUpper;
                    alert.Noise = change.Noise;
                }
                found[point.CommitId] = (changePoint, change);
            }

            // A change the data no longer shows goes, unless a person has looked at it already.
            foreach (var gone in stored.Values.Where(c => c.Id != 0 && !c.Accepted && !found.ContainsKey(c.CommitId)).ToList())
            {
                var itsAlerts = alerts.Where(a => a.ChangePointId == gone.Id).ToList();
                if (itsAlerts.Any(a => a.State != AlertState.New))
                    continue;
                foreach (var alert in itsAlerts)
                {
                    touchedGroups.Add(alert.GroupId);
                    db.Alerts.Remove(alert);
                    alerts.Remove(alert);
                }
                foreach (var fixedBy in alerts.Where(a => a.FixedByChangePointId == gone.Id))
                    fixedBy.FixedByChangePointId = null;
                db.ChangePoints.Remove(gone);
            }

            await db.SaveChangesAsync(ct);
            CloseReversed(alerts, stored, found, points, series.Direction, threshold, now);
            touchedGroups.UnionWith(alerts.Select(a => a.GroupId));
            await db.SaveChangesAsync(ct);
            await AlertGroups.RefreshAsync(db, touchedGroups, ct);
            await db.Series.Where(s => s.Id == seriesId).ExecuteUpdateAsync(set => set.SetProperty(s => s.LastAnalyzedAt, now), ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            regressed.UnionWith(alerts.Where(a => a.Kind == AlertKind.Regression && AlertGroups.IsOpen(a.State)).Select(a => a.GroupId));
        }, cancellationToken);
        // Committed: the notification (a comment on the culprit's pull request, an issue) can see the group.
        foreach (var groupId in regressed)
            jobs.Enqueue<PerfCI.Server.GitHub.RegressionNotificationJob>(job => job.RunAsync(groupId, CancellationToken.None));
    }

    private static void Describe(ChangePoint changePoint, DetectedChange change, long? previousCommitId)
    {
        changePoint.PreviousCommitId = previousCommitId;
        changePoint.Kind = change.Kind;
        changePoint.Magnitude = change.Magnitude;
        changePoint.MagnitudeLower = change.MagnitudeLower;
        changePoint.MagnitudeUpper = change.MagnitudeUpper;
        changePoint.PValue = change.PValue;
        changePoint.MeanBefore = change.Before.Median;
        changePoint.MeanAfter = change.After.Median;
        changePoint.Noise = change.Noise;
    }

    /// <summary>
    /// An open regression is fixed once a later improvement brings the level back to within the
    /// threshold of where it was before: the same bar that raised it, applied the other way.
    /// </summary>
    private static void CloseReversed(
        List<Alert> alerts, Dictionary<long, ChangePoint> stored, Dictionary<long, (ChangePoint Stored, DetectedChange Change)> found,
        IReadOnlyList<MainlinePoint> points, MetricDirection direction, double threshold, DateTimeOffset now)
    {
        var index = points.Select((p, i) => (p.CommitId, i)).ToDictionary(x => x.CommitId, x => x.i);
        foreach (var alert in alerts.Where(a => a.Kind == AlertKind.Regression && AlertGroups.IsOpen(a.State)))
        {
            var regression = alert.ChangePoint ?? stored.Values.FirstOrDefault(c => c.Id == alert.ChangePointId);
            if (regression is null || !index.TryGetValue(regression.CommitId, out var at))
                continue;
            var levelBefore = regression.MeanBefore;
            var reversal = found.Values
                .Where(f => f.Change.Kind == ChangeKind.Improvement && f.Change.Index > at)
                .OrderBy(f => f.Change.Index)
                .FirstOrDefault(f => WorseBy(levelBefore, f.Change.After.Median, direction) <= threshold);
            if (reversal.Stored is null)
                continue;
            alert.State = AlertState.Fixed;
            alert.FixedByChangePointId = reversal.Stored.Id;
            alert.TriagedBy = Fixer;
            alert.TriagedAt = now;
            alert.Note = $"Reversed at {points[reversal.Change.Index].Sha[..Math.Min(12, points[reversal.Change.Index].Sha.Length)]}: back within {threshold:P0} of the level before.";
        }
    }

    /// <summary>How much worse <paramref name="level"/> is than <paramref name="baseline"/>, relative; negative when better.</summary>
    public static double WorseBy(double baseline, double level, MetricDirection direction)
    {
        if (baseline == 0)
            return 0;
        var shift = (level - baseline) / Math.Abs(baseline);
        return direction == MetricDirection.LowerIsBetter ? shift : -shift;
    }
}
