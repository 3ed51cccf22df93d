using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data;
using PerfCI.Ui.Bisect;

namespace PerfCI.Server.Dashboard;

/// <summary>The bisect pages' (and API's) reads: no tracking, a fresh context per call (Blazor circuits outlive a request).</summary>
public sealed class BisectQueries(IDbContextFactory<PerfCiDbContext> contexts, TimeProvider time) : IBisectQueries
{
    public async Task<IReadOnlyList<BisectSummary>> ListAsync(string? repository, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Bisects.AsNoTracking();
        if (repository?.Split('/') is [var owner, var name])
            query = query.Where(b => b.Repository.Owner == owner && b.Repository.Name == name);
        return await query.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(200)
            .Select(b => new BisectSummary(
                b.Id, b.Repository.Owner + "/" + b.Repository.Name, b.Suite, b.Scenario, b.Metric, b.HardwareClass, b.State, b.Outcome,
                db.Commits.Where(c => c.Id == b.GoodCommitId).Select(c => c.Sha).First(),
                db.Commits.Where(c => c.Id == b.BadCommitId).Select(c => c.Sha).First(),
                db.Commits.Where(c => c.Id == b.CulpritCommitId).Select(c => c.Sha).FirstOrDefault(),
                b.Magnitude, b.Steps.Count, b.AlertId, b.CreatedAt, b.FinishedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<BisectDetail?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var b = await db.Bisects.AsNoTracking().Where(b => b.Id == id).Select(b => new
        {
            Bisect = b,
            Repository = b.Repository.Owner + "/" + b.Repository.Name,
            Good = db.Commits.Where(c => c.Id == b.GoodCommitId).Select(c => c.Sha).First(),
            Bad = db.Commits.Where(c => c.Id == b.BadCommitId).Select(c => c.Sha).First(),
            Culprit = db.Commits.Where(c => c.Id == b.CulpritCommitId).Select(c => new BisectCommitView(c.Sha, c.Message, c.AuthorName)).FirstOrDefault(),
            LastGood = db.Commits.Where(c => c.Id == b.LastGoodCommitId).Select(c => c.Sha).FirstOrDefault(),
            FirstBad = db.Commits.Where(c => c.Id == b.FirstBadCommitId).Select(c => c.Sha).FirstOrDefault(),
            Unit = db.Series.Where(s => s.RepositoryId == b.RepositoryId && s.Suite.Name == b.Suite && s.Scenario == b.Scenario && s.Metric == b.Metric
                && s.HardwareClass == b.HardwareClass).Select(s => s.Unit).FirstOrDefault(),
            AlertGroupId = db.Alerts.Where(a => a.Id == b.AlertId).Select(a => (long?)a.GroupId).FirstOrDefault(),
        }).SingleOrDefaultAsync(cancellationToken);
        if (b is null)
            return null;
        var steps = await db.BisectSteps.AsNoTracking().Where(s => s.BisectId == id).OrderBy(s => s.Sequence)
            .Select(s => new
            {
                s.Id, s.Sequence, s.Commit.Sha, s.Commit.Message, s.RangeIndex, s.RunId, s.Samples, s.Decision, s.PValue, s.Reason, s.CreatedAt, s.DecidedAt,
                RunState = db.Runs.Where(r => r.Id == s.RunId).Select(r => (RunState?)r.State).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.Run.BisectId == id && j.StartedAt != null)
            .Select(j => new { Started = j.StartedAt!.Value, j.FinishedAt }).ToListAsync(cancellationToken);
        var bisect = b.Bisect;
        return new BisectDetail(
            bisect.Id, b.Repository, bisect.Suite, bisect.Scenario, bisect.Metric, b.Unit ?? "", bisect.HardwareClass, bisect.Direction, bisect.Mode,
            bisect.State, bisect.Outcome, bisect.Conclusion, b.Good, b.Bad, b.Culprit, b.LastGood, b.FirstBad,
            bisect.Magnitude, bisect.MagnitudeLower, bisect.MagnitudeUpper,
            bisect.TrialsPerStep, bisect.MaxTrialsPerStep, bisect.MaxSteps, bisect.MaxRunnerHours,
            jobs.Sum(j => ((j.FinishedAt ?? (bisect.FinishedAt ?? now)) - j.Started).TotalHours),
            steps.Count == 0 ? null : steps.Max(s => s.RangeIndex) + 1,
            bisect.AlertId, b.AlertGroupId, bisect.RequestedBy, bisect.CreatedAt, bisect.StartedAt, bisect.FinishedAt,
            [.. steps.Select(s =>
            {
                SampleSummary? summary = s.Samples.Length > 0 ? SampleSummary.Of(s.Samples) : null;
                return new BisectStepView(s.Id, s.Sequence, s.Sha, s.Message, s.RangeIndex, s.RunId, s.RunState, s.Samples,
                    summary?.Median, summary?.Min, summary?.Max, s.Decision, s.PValue, s.Reason, s.CreatedAt, s.DecidedAt);
            })]);
    }

    public async Task<BisectFormChoices> GetFormChoicesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositories = await db.Repositories.AsNoTracking().OrderBy(r => r.Owner).ThenBy(r => r.Name)
            .Select(r => r.Owner + "/" + r.Name).ToListAsync(cancellationToken);
        var series = await db.Series.AsNoTracking()
            .OrderBy(s => s.Repository.Owner).ThenBy(s => s.Repository.Name).ThenBy(s => s.Suite.Name).ThenBy(s => s.Scenario).ThenBy(s => s.Metric).ThenBy(s => s.HardwareClass)
            .Select(s => new SeriesChoice(s.Repository.Owner + "/" + s.Repository.Name, s.Suite.Name, s.Scenario, s.Metric, s.HardwareClass, s.Unit))
            .ToListAsync(cancellationToken);
        return new BisectFormChoices(repositories, series);
    }

    public async Task<BisectForm?> GetAlertPrefillAsync(long alertId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var alert = await db.Alerts.AsNoTracking().Where(a => a.Id == alertId).Select(a => new
        {
            Repository = a.Group.Repository.Owner + "/" + a.Group.Repository.Name,
            Good = a.Group.FromCommit == null ? null : a.Group.FromCommit.Sha,
            Bad = a.Group.ToCommit.Sha,
            Suite = a.Series.Suite.Name, a.Series.Scenario, a.Series.Metric, a.Series.HardwareClass,
        }).SingleOrDefaultAsync(cancellationToken);
        return alert is null ? null : new BisectForm
        {
            Repository = alert.Repository, Good = alert.Good, Bad = alert.Bad, AlertId = alertId,
            Suite = alert.Suite, Scenario = alert.Scenario, Metric = alert.Metric, HardwareClass = alert.HardwareClass,
        };
    }
}
