using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Analysis;
using PerfCI.Data;
using PerfCI.Server.Analysis;
using PerfCI.Ui.Compare;

namespace PerfCI.Server.Dashboard;

/// <summary>
/// The compare page's reads. The statistics are <see cref="RunComparer"/>'s, the same the PR comment
/// and the API give; this class only finds the run to compare and shapes the answer for the page.
/// </summary>
public sealed class CompareQueries(IDbContextFactory<PerfCiDbContext> contexts) : ICompareQueries
{
    public async Task<CompareOutcome> CompareCommitsAsync(string repository, string @base, string head, string? hardwareClass, CancellationToken cancellationToken)
    {
        if (repository.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } name])
            return CompareOutcome.Failed("The repository is owner/name.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositoryId = await db.Repositories.AsNoTracking().Where(r => r.Owner == owner && r.Name == name).Select(r => (long?)r.Id).SingleOrDefaultAsync(cancellationToken);
        if (repositoryId is null)
            return CompareOutcome.Failed($"There is no repository {repository}.");
        var baseCommit = await FindCommitAsync(db, repositoryId.Value, @base, cancellationToken);
        var headCommit = await FindCommitAsync(db, repositoryId.Value, head, cancellationToken);
        if (baseCommit is null || headCommit is null)
            return CompareOutcome.Failed($"{repository} has no commit {(baseCommit is null ? @base : head)}.");
        // The head's latest run that measured anything (on the wanted hardware, when one is named).
        var runId = await db.Measurements.AsNoTracking()
            .Where(m => m.CommitId == headCommit.Value.Id && (hardwareClass == null || m.Series.HardwareClass == hardwareClass))
            .OrderByDescending(m => m.RunId).Select(m => (long?)m.RunId).FirstOrDefaultAsync(cancellationToken);
        if (runId is null)
            return CompareOutcome.Failed($"{Short(headCommit.Value.Sha)} has no results{(hardwareClass is null ? "" : $" on {hardwareClass}")}.");
        var comparison = await new RunComparer(db).CompareAsync(runId.Value, baseCommit.Value.Sha, cancellationToken);
        return comparison is null ? CompareOutcome.Failed($"Run {runId} is gone.") : new CompareOutcome(Shape(repository, comparison, null, hardwareClass), null);
    }

    public async Task<CompareOutcome> ComparePullRequestAsync(string repository, int number, CancellationToken cancellationToken)
    {
        if (repository.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } name])
            return CompareOutcome.Failed("The repository is owner/name.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pullRequest = await db.PullRequests.AsNoTracking()
            .Where(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number)
            .Select(p => new { p.Id }).SingleOrDefaultAsync(cancellationToken);
        if (pullRequest is null)
            return CompareOutcome.Failed($"PerfCI knows no pull request {repository}#{number}.");
        var runId = await db.Measurements.AsNoTracking()
            .Where(m => db.Runs.Any(r => r.Id == m.RunId && r.PullRequestId == pullRequest.Id))
            .OrderByDescending(m => m.RunId).Select(m => (long?)m.RunId).FirstOrDefaultAsync(cancellationToken);
        if (runId is null)
            return CompareOutcome.Failed($"{repository}#{number} has no results yet.");
        var comparison = await new RunComparer(db).CompareAsync(runId.Value, null, cancellationToken);
        return comparison is null ? CompareOutcome.Failed($"Run {runId} is gone.") : new CompareOutcome(Shape(repository, comparison, $"{repository}#{number}", null), null);
    }

    public async Task<CompareOutcome> CompareRunAsync(long runId, string? @base, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { Repository = r.Repository.Owner + "/" + r.Repository.Name, PullRequest = r.PullRequest == null ? (int?)null : r.PullRequest.Number })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
            return CompareOutcome.Failed($"There is no run {runId}.");
        var comparison = await new RunComparer(db).CompareAsync(runId, @base?.ToLowerInvariant(), cancellationToken);
        return comparison is null
            ? CompareOutcome.Failed($"There is no run {runId}.")
            : new CompareOutcome(Shape(run.Repository, comparison, run.PullRequest is { } number ? $"{run.Repository}#{number}" : null, null), null);
    }

    private static async Task<(long Id, string Sha)?> FindCommitAsync(PerfCiDbContext db, long repositoryId, string sha, CancellationToken cancellationToken)
    {
        if (sha.Length == 0)
            return null;
        var lower = sha.ToLowerInvariant();
        var found = await db.Commits.AsNoTracking().Where(c => c.RepositoryId == repositoryId && c.Sha.StartsWith(lower))
            .OrderBy(c => c.Sha).Select(c => new { c.Id, c.Sha }).FirstOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.Id, found.Sha);
    }

    private static CompareResult Shape(string repository, RunComparisonView comparison, string? pullRequest, string? hardwareClass)
    {
        var metrics = comparison.Metrics
            .Where(m => hardwareClass is null || m.HardwareClass == hardwareClass)
            .Select(m => new MetricChange(m.SeriesId, m.Suite, m.Scenario, m.Metric, m.Unit, m.Direction, m.HardwareClass,
                m.Verdict, m.Shift, m.ShiftLower, m.ShiftUpper, m.PValue, m.BaselineMedian, m.CandidateMedian, m.BaselineTrials, m.CandidateTrials, m.Reason))
            .ToList();
        var regressions = metrics.Count(m => m.Verdict == Verdict.Regression);
        var improvements = metrics.Count(m => m.Verdict == Verdict.Improvement);
        var inconclusive = metrics.Count(m => m.Verdict == Verdict.Inconclusive);
        // With a hardware class picked, the overall verdict is that class's, counted as RunComparer does.
        var verdict = hardwareClass is null ? comparison.Verdict
            : regressions > 0 ? Verdict.Regression : inconclusive > 0 ? Verdict.Inconclusive : improvements > 0 ? Verdict.Improvement : Verdict.NoChange;
        return new CompareResult(repository, comparison.RunId, comparison.Commit, comparison.BaseCommit, pullRequest, verdict, regressions, improvements, inconclusive, metrics);
    }

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];
}
