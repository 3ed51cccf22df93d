using System.Globalization;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data;
using PerfCI.Ui.Trends;

namespace PerfCI.Server.Dashboard;

/// <summary>The trends page's reads: no tracking, a fresh context per call (Blazor circuits outlive a request).</summary>
public sealed class TrendQueries(IDbContextFactory<PerfCiDbContext> contexts, SeriesKeyCache keyCache, TrendChartReads charts) : ITrendQueries
{
    /// <summary>A commit subject is shown in a tooltip: longer ones only make the page heavier.</summary>
    private const int MessageLength = 120;

    public void PrepareChart(TrendSelection selection) => charts.Start(selection);

    public Task<IReadOnlyList<SeriesKey>> GetSeriesKeysAsync(CancellationToken cancellationToken) =>
        keyCache.GetAsync(ReadSeriesKeysAsync, cancellationToken);

    private async Task<IReadOnlyList<SeriesKey>> ReadSeriesKeysAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Series.AsNoTracking()
            .Select(s => new { s.Id, s.Repository.Owner, s.Repository.Name, Suite = s.Suite.Name, s.Scenario, s.Metric, s.HardwareClass, s.Unit, s.Direction })
            .ToListAsync(cancellationToken);
        return [.. rows
            .Select(s => new SeriesKey(s.Id, $"{s.Owner}/{s.Name}", s.Suite, s.Scenario, s.Metric, s.HardwareClass, s.Unit, s.Direction))
            .OrderBy(s => s.Repository, StringComparer.Ordinal).ThenBy(s => s.Suite, StringComparer.Ordinal)
            .ThenBy(s => s.Scenario, StringComparer.Ordinal).ThenBy(s => s.Metric, StringComparer.Ordinal).ThenBy(s => s.HardwareClass, StringComparer.Ordinal)];
    }

    public async Task<TrendSeries?> GetSeriesAsync(long seriesId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await db.Series.AsNoTracking().Where(s => s.Id == seriesId)
            .Select(s => new SeriesKey(s.Id, s.Repository.Owner + "/" + s.Repository.Name, s.Suite.Name, s.Scenario, s.Metric, s.HardwareClass, s.Unit, s.Direction))
            .SingleOrDefaultAsync(cancellationToken);
        if (key is null)
            return null;

        // One query for every point: the measurements with their commits, projected to what the chart
        // shows. Bisect runs measure commits on demand (left out, as in the analysis); pull-request
        // heads are not on the branch. The stored median, min and max are the point; the trials
        // themselves are read only for a commit measured more than once (their trials pool).
        var rows = await (
                from m in db.Measurements.AsNoTracking()
                join run in db.Runs on m.RunId equals run.Id
                where m.SeriesId == seriesId && run.Trigger != RunTrigger.Bisect
                      && (m.Commit.FirstParentPosition != null || run.Trigger != RunTrigger.PullRequest)
                select new MeasuredRow(
                    m.Id, m.CommitId, m.Commit.FirstParentPosition, m.Commit.Sha,
                    m.Commit.Message.Length > MessageLength ? m.Commit.Message.Substring(0, MessageLength) : m.Commit.Message,
                    m.Commit.AuthorName, m.Commit.CommittedAt, m.RunId, m.Median, m.Min, m.Max, m.Samples.Length))
            .ToListAsync(cancellationToken);
        var measuredAgain = rows.GroupBy(r => r.CommitId).Where(g => g.Count() > 1).SelectMany(g => g.Select(r => r.Id)).ToList();
        var samples = measuredAgain.Count == 0
            ? new Dictionary<long, double[]>()
            : await db.Measurements.AsNoTracking().Where(m => measuredAgain.Contains(m.Id))
                .Select(m => new { m.Id, m.Samples }).ToDictionaryAsync(m => m.Id, m => m.Samples, cancellationToken);

        var changePoints = await db.ChangePoints.AsNoTracking().Where(c => c.SeriesId == seriesId)
            .OrderBy(c => c.Commit.FirstParentPosition).ThenBy(c => c.Commit.CommittedAt)
            .Select(c => new TrendChangePoint(c.CommitId, c.Commit.Sha, c.Kind, c.Magnitude, c.MagnitudeLower, c.MagnitudeUpper, c.Accepted))
            .ToListAsync(cancellationToken);
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.SeriesId == seriesId)
            .OrderBy(a => a.Id)
            .Select(a => new TrendAlert(a.Id, a.GroupId,
                a.ChangePoint != null ? a.ChangePoint.CommitId : a.Group.ToCommitId,
                a.ChangePoint != null ? a.ChangePoint.Commit.Sha : a.Group.ToCommit.Sha, a.Kind, a.State, a.Magnitude))
            .ToListAsync(cancellationToken);
        return new TrendSeries(key, Order(rows, samples), changePoints, alerts);
    }

    public async Task<IReadOnlyList<SweepCurve>> GetSweepAsync(SweepRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Repository.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } name] || request.Commits.Count == 0)
            return [];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var prefix = request.Scenario + "@c";
        var curves = new List<SweepCurve>();
        foreach (var wanted in request.Commits.Where(c => c.Length > 0).Select(c => c.ToLowerInvariant()))
        {
            var commit = await db.Commits.AsNoTracking()
                .Where(c => c.Repository.Owner == owner && c.Repository.Name == name && c.Sha.StartsWith(wanted))
                .OrderBy(c => c.Sha).Select(c => new { c.Id, c.Sha }).FirstOrDefaultAsync(cancellationToken);
            if (commit is null)
                continue;
            var rows = await db.Measurements.AsNoTracking()
                .Where(m => m.CommitId == commit.Id && m.Series.Suite.Name == request.Suite && m.Series.HardwareClass == request.HardwareClass
                            && m.Series.Scenario.StartsWith(prefix)
                            && (m.Series.Metric == request.LatencyMetric || m.Series.Metric == request.ThroughputMetric))
                .Select(m => new { m.Series.Scenario, m.Series.Metric, m.Series.Unit, m.Samples })
                .ToListAsync(cancellationToken);
            var points = new List<SweepPoint>();
            foreach (var scenario in rows.GroupBy(r => r.Scenario))
            {
                if (!int.TryParse(scenario.Key.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var concurrency))
                    continue;
                var latency = scenario.Where(r => r.Metric == request.LatencyMetric).SelectMany(r => r.Samples).ToList();
                var throughput = scenario.Where(r => r.Metric == request.ThroughputMetric).SelectMany(r => r.Samples).ToList();
                if (latency.Count > 0 && throughput.Count > 0)
                    points.Add(new SweepPoint(concurrency, SampleSummary.Of(throughput).Median, SampleSummary.Of(latency).Median));
            }
            if (points.Count == 0)
                continue;
            curves.Add(new SweepCurve(
                commit.Sha,
                rows.FirstOrDefault(r => r.Metric == request.LatencyMetric)?.Unit ?? "",
                rows.FirstOrDefault(r => r.Metric == request.ThroughputMetric)?.Unit ?? "",
                [.. points.OrderBy(p => p.Concurrency)]));
        }
        return curves;
    }

    /// <summary>
    /// First-parent order, one point per commit. A repository whose history the server never read
    /// (results uploaded for a repository it cannot clone) is ordered by commit time instead.
    /// </summary>
    private static List<TrendPoint> Order(List<MeasuredRow> rows, Dictionary<long, double[]> samples)
    {
        var onBranch = rows.Any(r => r.Position is not null);
        var ordered = onBranch
            ? rows.Where(r => r.Position is not null).OrderBy(r => r.Position).ThenBy(r => r.Id)
            : rows.OrderBy(r => r.CommittedAt).ThenBy(r => r.CommitId).ThenBy(r => r.Id);
        var points = new List<TrendPoint>(rows.Count);
        var pooled = new List<MeasuredRow>();
        foreach (var row in ordered)
        {
            if (pooled.Count > 0 && pooled[0].CommitId != row.CommitId)
            {
                points.Add(Point(pooled, onBranch ? pooled[0].Position!.Value : points.Count, samples));
                pooled.Clear();
            }
            pooled.Add(row);
        }
        if (pooled.Count > 0)
            points.Add(Point(pooled, onBranch ? pooled[0].Position!.Value : points.Count, samples));
        return points;
    }

    /// <summary>A commit's point: one measurement as stored; re-runs of the commit pool their trials.</summary>
    private static TrendPoint Point(List<MeasuredRow> rows, int position, Dictionary<long, double[]> samples)
    {
        var first = rows[0];
        var last = rows[^1];
        if (rows.Count == 1)
            return new TrendPoint(first.CommitId, position, first.Sha, first.Message, first.Author, first.CommittedAt, first.RunId, first.Median, first.Min, first.Max, first.Trials);
        var pooled = rows.SelectMany(r => samples[r.Id]).ToArray();
        var summary = SampleSummary.Of(pooled);
        return new TrendPoint(first.CommitId, position, first.Sha, first.Message, first.Author, first.CommittedAt, last.RunId, summary.Median, summary.Min, summary.Max, pooled.Length);
    }

    private sealed record MeasuredRow(
        long Id, long CommitId, int? Position, string Sha, string Message, string Author, DateTimeOffset CommittedAt,
        long RunId, double Median, double Min, double Max, int Trials);
}
