using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data;

namespace PerfCI.Server.Analysis;

public sealed record MetricComparisonView(
    long SeriesId, string Suite, string Scenario, string Metric, string Unit, MetricDirection Direction, string HardwareClass,
    Verdict Verdict, double Shift, double ShiftLower, double ShiftUpper, double PValue, double? MinimumDetectableShift, int? TrialsNeeded,
    double Threshold, double? BaselineMedian, double? CandidateMedian, int BaselineTrials, int CandidateTrials, IReadOnlyList<string> BaselineCommits, string Reason);

public sealed record RunComparisonView(
    long RunId, string Commit, string? BaseCommit, Verdict Verdict, int Regressions, int Improvements, int Inconclusive, IReadOnlyList<MetricComparisonView> Metrics);

/// <summary>
/// A run against its baseline, metric by metric: a pull request's head against its merge base (or a
/// chosen commit), on the same hardware class. The baseline is the base commit's trials plus those of
/// the nearest commits in the same stable segment of the default branch (no change point between
/// them), so that one unlucky baseline run does not decide a verdict.
/// </summary>
public sealed class RunComparer(PerfCiDbContext db)
{
    /// <summary>Commits of the base's stable segment pooled into the baseline, the base itself included.</summary>
    public const int BaselineCommits = 5;

    /// <returns>Null when the run does not exist.</returns>
    public async Task<RunComparisonView?> CompareAsync(long runId, string? baseSha, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.Id, r.RepositoryId, r.CommitId, r.Commit.Sha, Position = r.Commit.FirstParentPosition, MergeBase = r.PullRequest == null ? null : r.PullRequest.MergeBaseSha ?? r.PullRequest.BaseSha })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
            return null;
        baseSha ??= run.MergeBase;
        var measured = await db.Measurements.AsNoTracking().Where(m => m.RunId == runId)
            .Select(m => new { m.SeriesId, m.Series.SuiteId, m.Samples, Suite = m.Series.Suite.Name, m.Series.Scenario, m.Series.Metric, m.Series.Unit, m.Series.Direction, m.Series.HardwareClass })
            .ToListAsync(cancellationToken);
        var baseCommit = baseSha is null ? null : await db.Commits.AsNoTracking()
            .Where(c => c.RepositoryId == run.RepositoryId && c.Sha.StartsWith(baseSha))
            .Select(c => new { c.Id, c.Sha, Position = c.FirstParentPosition }).FirstOrDefaultAsync(cancellationToken);

        var thresholds = new Dictionary<long, Func<string, double>>();
        var metrics = new List<MetricComparisonView>();
        foreach (var series in measured.GroupBy(m => m.SeriesId))
        {
            var first = series.First();
            var candidate = series.SelectMany(m => m.Samples).ToList();
            if (!thresholds.TryGetValue(first.SuiteId, out var thresholdOf))
                thresholds[first.SuiteId] = thresholdOf = await AnalysisThresholds.ForSuiteAsync(db, run.RepositoryId, first.SuiteId, cancellationToken);
            var threshold = thresholdOf(first.Metric);
            // No base named: a commit of the default branch is compared with the commits before it.
            var baseline = await BaselineAsync(series.Key, run.RepositoryId, run.CommitId, baseCommit?.Id,
                baseCommit?.Position ?? (baseSha is null ? run.Position - 1 : null), onlyBefore: baseSha is null, cancellationToken);
            MetricComparisonView view;
            if (baseline.Samples.Count == 0)
            {
                var where = baseCommit?.Sha ?? baseSha ?? "the previous commit";
                view = new MetricComparisonView(series.Key, first.Suite, first.Scenario, first.Metric, first.Unit, first.Direction, first.HardwareClass,
                    Verdict.Inconclusive, 0, 0, 0, 1, null, null, threshold, null, Finite(SampleSummary.Of(candidate).Median), 0, candidate.Count, [],
                    baseSha is null && run.Position is null
                        ? "No baseline: the run is not on the default branch and has no base commit."
                        : $"No baseline results on {first.HardwareClass} at {where[..Math.Min(12, where.Length)]} or near it.");
            }
            else
            {
                var result = PairComparer.Compare(baseline.Samples, candidate, new ComparisonOptions { Direction = first.Direction, Threshold = threshold });
                view = new MetricComparisonView(series.Key, first.Suite, first.Scenario, first.Metric, first.Unit, first.Direction, first.HardwareClass,
                    result.Verdict, result.Shift, result.ShiftLower, result.ShiftUpper, result.PValue, Finite(result.MinimumDetectableShift), result.TrialsNeeded, threshold,
                    Finite(result.BaselineMedian), Finite(result.CandidateMedian), result.BaselineCount, result.CandidateCount, baseline.Commits, result.Reason);
            }
            metrics.Add(view);
        }
        metrics.Sort((a, b) => (a.Suite, a.Scenario, a.Metric).CompareTo((b.Suite, b.Scenario, b.Metric)));
        var regressions = metrics.Count(m => m.Verdict == Verdict.Regression);
        var improvements = metrics.Count(m => m.Verdict == Verdict.Improvement);
        var inconclusive = metrics.Count(m => m.Verdict == Verdict.Inconclusive);
        var overall = regressions > 0 ? Verdict.Regression : inconclusive > 0 ? Verdict.Inconclusive : improvements > 0 ? Verdict.Improvement : Verdict.NoChange;
        return new RunComparisonView(run.Id, run.Sha, baseCommit?.Sha ?? baseSha, overall, regressions, improvements, inconclusive, metrics);
    }

    /// <summary>
    /// The base commit's trials and those of its nearest neighbours on the default branch that share
    /// its level (no stored change point between them and the base).
    /// </summary>
    private async Task<(List<double> Samples, List<string> Commits)> BaselineAsync(
        long seriesId, long repositoryId, long candidateCommitId, long? baseCommitId, int? basePosition, bool onlyBefore, CancellationToken cancellationToken)
    {
        if (basePosition is not { } at)
        {
            // A base that is not on the default branch: its own results only.
            var own = baseCommitId is null ? [] : await db.Measurements.AsNoTracking().Where(m => m.SeriesId == seriesId && m.CommitId == baseCommitId)
                .Select(m => new { m.Samples, m.Commit.Sha }).ToListAsync(cancellationToken);
            return ([.. own.SelectMany(m => m.Samples)], [.. own.Select(m => m.Sha).Distinct()]);
        }
        var points = (await MainlinePoints.ReadAsync(db, seriesId, repositoryId, cancellationToken)).Where(p => p.CommitId != candidateCommitId).ToList();
        var changes = await db.ChangePoints.AsNoTracking().Where(c => c.SeriesId == seriesId && c.Commit.FirstParentPosition != null)
            .Select(c => c.Commit.FirstParentPosition!.Value).ToListAsync(cancellationToken);
        // The segment holding the base: from the last change at or before it to the next one after it.
        var from = changes.Where(c => c <= at).DefaultIfEmpty(int.MinValue).Max();
        var to = changes.Where(c => c > at).DefaultIfEmpty(int.MaxValue).Min();
        var chosen = points.Where(p => p.Position >= from && p.Position < to && (!onlyBefore || p.Position <= at))
            .OrderBy(p => Math.Abs(p.Position - at)).ThenBy(p => p.Position)
            .Take(BaselineCommits).ToList();
        return ([.. chosen.SelectMany(p => p.Samples)], [.. chosen.OrderBy(p => p.Position).Select(p => p.Sha)]);
    }

    /// <summary>JSON has no NaN or infinity: a figure that cannot be had is absent.</summary>
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
