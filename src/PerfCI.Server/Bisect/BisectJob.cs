using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.GitHub;
using PerfCI.Server.Runs;

namespace PerfCI.Server.Bisect;

/// <summary>
/// One turn of a bisect's state machine, run whenever something may have moved it: at its start,
/// when one of its runs ends, every minute from <see cref="BisectSweepJob"/>, and after a restart.
/// The state lives only in the database: the steps hold every trial measured, so the search is
/// rebuilt from them (replayed) on every turn, asked what comes next, and that is done: runs of the
/// commits it wants measured (trigger <c>bisect</c>, one scenario, the trials it asks for, on runners
/// of the bisect's hardware class), or the outcome. A turn that finds its runs still going does
/// nothing, so the job may run any number of times.
/// </summary>
public sealed class BisectJob(PerfCiDbContext db, RepositoryMirror mirror, IBackgroundJobClient jobs, TimeProvider time, ILogger<BisectJob> logger)
{
    /// <summary>A run still pending this long after it was created lost its expansion (a crash between saving and enqueueing); it is expanded again.</summary>
    private static readonly TimeSpan LostExpansion = TimeSpan.FromMinutes(2);

    [AutomaticRetry(Attempts = 5)]
    [DisableConcurrentExecution("bisect:{0}", 120)]
    public async Task RunAsync(long bisectId, CancellationToken cancellationToken)
    {
        var bisect = await db.Bisects.Include(b => b.Repository).SingleOrDefaultAsync(b => b.Id == bisectId, cancellationToken);
        if (bisect is null || bisect.State is not (BisectState.Queued or BisectState.Running))
            return;
        var now = time.GetUtcNow();
        if (bisect.State == BisectState.Queued)
        {
            // Conditional, as every change of the bisect's state: a cancel may have come meanwhile.
            await db.Bisects.Where(b => b.Id == bisectId && b.State == BisectState.Queued)
                .ExecuteUpdateAsync(set => set.SetProperty(b => b.State, BisectState.Running).SetProperty(b => b.StartedAt, now), cancellationToken);
            await db.Entry(bisect).ReloadAsync(cancellationToken);
            if (bisect.State != BisectState.Running)
                return;
        }

        var steps = await db.BisectSteps.Include(s => s.Commit).Where(s => s.BisectId == bisectId).OrderBy(s => s.Sequence).ToListAsync(cancellationToken);
        if (!await CollectResultsAsync(bisect, steps, now, cancellationToken))
            return; // runs still going: their end enqueues the next turn

        var (range, commits) = await RangeAsync(bisect, cancellationToken);
        var search = Replay(bisect, range, steps, bisect.MaxSteps);
        UpdateDecisions(search, steps, now);
        await db.SaveChangesAsync(cancellationToken);

        switch (search.Next())
        {
            case BisectFinished finished:
                await FinishAsync(bisect, finished.Outcome, commits, now, cancellationToken);
                break;
            case MeasureCommits measure when await RunnerHoursAsync(bisectId, now, cancellationToken) >= bisect.MaxRunnerHours:
                await FinishAsync(bisect, BudgetOutcome(bisect, range, steps), commits, now, cancellationToken);
                break;
            case MeasureCommits measure:
                await MeasureAsync(bisect, measure, commits, steps.Count, now, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// Stores the trials of every step whose run has ended (a failed or cancelled run skips its commit,
    /// like <c>git bisect skip</c>); false while any run is still queued or running.
    /// </summary>
    private async Task<bool> CollectResultsAsync(Data.Entities.Bisect bisect, List<BisectStep> steps, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var open = steps.Where(s => s.Decision == BisectDecision.Pending && s.DecidedAt is null).ToList();
        if (open.Count == 0)
            return true;
        var runIds = open.Where(s => s.RunId is not null).Select(s => s.RunId!.Value).ToList();
        var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id))
            .Select(r => new { r.Id, r.State, r.Error, r.CreatedAt, JobError = r.Jobs.Where(j => j.Error != null).Select(j => j.Error).FirstOrDefault() })
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        var done = true;
        foreach (var step in open)
        {
            if (step.RunId is not { } runId || !runs.TryGetValue(runId, out var run))
            {
                Skip(step, "its run was deleted", now);
                continue;
            }
            switch (run.State)
            {
                case RunState.Succeeded:
                    var samples = await db.Measurements.AsNoTracking()
                        .Where(m => m.RunId == runId && m.Series.Suite.Name == bisect.Suite && m.Series.Scenario == bisect.Scenario
                            && m.Series.Metric == bisect.Metric && m.Series.HardwareClass == bisect.HardwareClass)
                        .OrderBy(m => m.Id).Select(m => m.Samples).ToListAsync(cancellationToken);
                    var trials = samples.SelectMany(s => s).Where(double.IsFinite).ToArray();
                    if (trials.Length == 0)
                    {
                        Skip(step, $"run {runId} succeeded without a sample of {bisect.Scenario} {bisect.Metric}", now);
                    }
                    else
                    {
                        step.Samples = trials;
                        step.DecidedAt = now;
                    }
                    break;
                case RunState.Failed:
                    Skip(step, $"run {runId} failed: {Shorten(run.Error ?? run.JobError ?? "no reason given")}", now);
                    break;
                case RunState.Cancelled:
                    Skip(step, $"run {runId} was cancelled", now);
                    break;
                case RunState.Pending when now - run.CreatedAt > LostExpansion:
                    jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(runId, CancellationToken.None));
                    done = false;
                    break;
                default:
                    done = false;
                    break;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        return done;
    }

    private static void Skip(BisectStep step, string reason, DateTimeOffset now)
    {
        step.Decision = BisectDecision.Skipped;
        step.Reason = reason;
        step.DecidedAt = now;
    }

    /// <summary>The range from git (the mirror's copy of the repository), and the ids of its commits by sha.</summary>
    private async Task<(BisectRange Range, Dictionary<string, (long Id, int Index)> Commits)> RangeAsync(Data.Entities.Bisect bisect, CancellationToken cancellationToken)
    {
        var ends = await db.Commits.AsNoTracking().Where(c => c.Id == bisect.GoodCommitId || c.Id == bisect.BadCommitId).ToDictionaryAsync(c => c.Id, c => c.Sha, cancellationToken);
        var (good, bad) = (ends[bisect.GoodCommitId], ends[bisect.BadCommitId]);
        var repository = bisect.Repository;
        var history = await mirror.RangeAsync(repository.FullName, repository.CloneUrl, good, bad, bisect.Mode == BisectMode.FirstParent, cancellationToken);
        var shas = history.Select(c => c.Sha).Prepend(good).ToList();
        var ids = await db.Commits.AsNoTracking().Where(c => c.RepositoryId == bisect.RepositoryId && shas.Contains(c.Sha)).ToDictionaryAsync(c => c.Sha, c => c.Id, cancellationToken);
        var range = bisect.Mode == BisectMode.FirstParent
            ? BisectRange.FirstParent(shas)
            : BisectRange.FromDag([new BisectCommit(good, []), .. history.Select(c => new BisectCommit(c.Sha, c.Parents))], good, bad);
        var order = new List<string> { range.Good };
        order.AddRange(range.Candidates);
        order.Add(range.Bad);
        return (range, order.Select((sha, index) => (sha, index)).ToDictionary(c => c.sha, c => (ids[c.sha], c.index), StringComparer.Ordinal));
    }

    private static BisectSearch Replay(Data.Entities.Bisect bisect, BisectRange range, List<BisectStep> steps, int maxMeasuredCommits)
    {
        var search = new BisectSearch(range, new BisectSettings
        {
            Direction = bisect.Direction,
            InitialTrials = bisect.TrialsPerStep,
            MaxTrials = bisect.MaxTrialsPerStep,
            Parallelism = bisect.Parallelism,
            MaxMeasuredCommits = maxMeasuredCommits,
        });
        foreach (var step in steps.Where(s => s.DecidedAt is not null))
        {
            if (step.Decision == BisectDecision.Skipped)
                search.Skip(step.Commit.Sha, step.Reason ?? "skipped");
            else if (step.Samples.Length > 0)
                search.Record(step.Commit.Sha, step.Samples);
        }
        return search;
    }

    /// <summary>Every measured step shows its commit's decision as the search sees it now (more trials anywhere can settle an unknown one).</summary>
    private static void UpdateDecisions(BisectSearch search, List<BisectStep> steps, DateTimeOffset now)
    {
        var verdicts = search.Steps.ToDictionary(s => s.Sha, StringComparer.Ordinal);
        foreach (var step in steps.Where(s => s.DecidedAt is not null && s.Decision != BisectDecision.Skipped))
        {
            if (!verdicts.TryGetValue(step.Commit.Sha, out var verdict))
                continue;
            if (step.Decision != verdict.Decision || step.PValue != verdict.PValue || step.Reason != verdict.Reason)
            {
                step.Decision = verdict.Decision;
                step.PValue = verdict.PValue is { } p && double.IsFinite(p) ? p : null;
                step.Reason = verdict.Reason;
                step.DecidedAt = now;
            }
        }
    }

    /// <summary>One run per commit asked for, each with a step waiting for its results; stored together or not at all.</summary>
    private async Task MeasureAsync(Data.Entities.Bisect bisect, MeasureCommits measure, Dictionary<string, (long Id, int Index)> commits, int sequence, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var runs = measure.Requests.Select(request => new Run
        {
            RepositoryId = bisect.RepositoryId, CommitId = commits[request.Sha].Id, Trigger = RunTrigger.Bisect, State = RunState.Pending, BisectId = bisect.Id,
            HardwareClass = bisect.HardwareClass, SuiteFilter = [bisect.Suite], ScenarioFilter = bisect.Scenario, Trials = request.Trials,
            RequestedBy = $"bisect {bisect.Id}", CreatedAt = now,
        }).ToList();
        var strategy = db.Database.CreateExecutionStrategy();
        var stored = await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (!await LockWhileRunningAsync(bisect.Id, ct))
                return false;
            db.Runs.AddRange(runs);
            await db.SaveChangesAsync(ct);
            for (var i = 0; i < runs.Count; i++)
            {
                db.BisectSteps.Add(new BisectStep
                {
                    BisectId = bisect.Id, Sequence = sequence + i, CommitId = runs[i].CommitId, RangeIndex = commits[measure.Requests[i].Sha].Index,
                    RunId = runs[i].Id, Decision = BisectDecision.Pending, CreatedAt = now,
                });
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
        if (!stored)
            return;
        foreach (var run in runs)
        {
            var runId = run.Id;
            jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(runId, CancellationToken.None));
        }
        logger.LogInformation("Bisect {BisectId}: measuring {Commits}", bisect.Id,
            string.Join(", ", measure.Requests.Select(r => $"{r.Sha[..Math.Min(12, r.Sha.Length)]} x{r.Trials}")));
    }

    /// <summary>Runner time spent so far: every job of the bisect's runs, from its start to its end (or now).</summary>
    private async Task<double> RunnerHoursAsync(long bisectId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var spans = await db.Jobs.AsNoTracking().Where(j => j.Run.BisectId == bisectId && j.StartedAt != null)
            .Select(j => new { Started = j.StartedAt!.Value, j.FinishedAt }).ToListAsync(cancellationToken);
        return spans.Sum(s => ((s.FinishedAt ?? now) - s.Started).TotalHours);
    }

    /// <summary>
    /// The runner-hour budget is spent: the search's own account of where it stands, taken with a
    /// commit budget of what it has measured so far (so that it must stop).
    /// </summary>
    private static BisectOutcome BudgetOutcome(Data.Entities.Bisect bisect, BisectRange range, List<BisectStep> steps)
    {
        var measured = steps.Where(s => s.DecidedAt is not null).Select(s => s.Commit.Sha).Distinct().Count();
        var reason = $"The budget of {bisect.MaxRunnerHours:0.##} runner-hours is spent.";
        if (Replay(bisect, range, steps, Math.Max(2, measured)).Next() is BisectFinished { Outcome: var stopped })
        {
            return stopped.Kind == BisectOutcomeKind.BudgetExhausted ? stopped with { Reason = $"{reason} {stopped.Reason}" } : stopped;
        }
        // It still wants more trials of commits it has: the range is what lies between the ends.
        return new BisectOutcome(BisectOutcomeKind.BudgetExhausted, null, range.Good, range.Bad, [.. range.Candidates, range.Bad],
            $"{reason} It was still measuring more trials of the commits it had.", null, null, null, measured);
    }

    /// <summary>
    /// Inside a transaction: holds the bisect's row until the end of it, and says whether the bisect is
    /// still running (a cancel that came first wins; one that comes later waits and then sees what was done).
    /// </summary>
    private async Task<bool> LockWhileRunningAsync(long bisectId, CancellationToken cancellationToken) =>
        await db.Bisects.Where(b => b.Id == bisectId && b.State == BisectState.Running)
            .ExecuteUpdateAsync(set => set.SetProperty(b => b.State, BisectState.Running), cancellationToken) == 1;

    private async Task FinishAsync(Data.Entities.Bisect bisect, BisectOutcome outcome, Dictionary<string, (long Id, int Index)> commits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        bisect.State = outcome.Kind == BisectOutcomeKind.Culprit ? BisectState.Succeeded : BisectState.Inconclusive;
        bisect.Outcome = Name(outcome.Kind);
        bisect.Conclusion = outcome.Reason;
        bisect.CulpritCommitId = outcome.Culprit is { } culprit ? commits[culprit].Id : null;
        bisect.LastGoodCommitId = commits.TryGetValue(outcome.LastGood, out var lastGood) ? lastGood.Id : null;
        bisect.FirstBadCommitId = commits.TryGetValue(outcome.FirstBad, out var firstBad) ? firstBad.Id : null;
        bisect.Magnitude = outcome.RelativeChange;
        bisect.MagnitudeLower = outcome.RelativeChangeLower;
        bisect.MagnitudeUpper = outcome.RelativeChangeUpper;
        bisect.FinishedAt = now;
        var strategy = db.Database.CreateExecutionStrategy();
        var ended = await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (!await LockWhileRunningAsync(bisect.Id, ct))
                return false;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
        if (!ended)
            return;
        logger.LogInformation("Bisect {BisectId} ended: {Outcome}: {Reason}", bisect.Id, bisect.Outcome, outcome.Reason);
        if (bisect.CulpritCommitId is not { } culpritId || bisect.AlertId is not { } alertId)
            return;
        // The alert's group now knows its culprit, and the pull request that brought it in hears of it.
        var groupId = await db.Alerts.Where(a => a.Id == alertId).Select(a => a.GroupId).SingleAsync(cancellationToken);
        await db.AlertGroups.Where(g => g.Id == groupId)
            .ExecuteUpdateAsync(set => set.SetProperty(g => g.CulpritCommitId, culpritId).SetProperty(g => g.BisectId, bisect.Id), cancellationToken);
        jobs.Enqueue<RegressionNotificationJob>(job => job.RunAsync(groupId, CancellationToken.None));
    }

    /// <summary>The outcome as the API writes it: culprit, range, no_difference, budget_exhausted.</summary>
    public static string Name(BisectOutcomeKind kind) => kind switch
    {
        BisectOutcomeKind.Culprit => "culprit",
        BisectOutcomeKind.Range => "range",
        BisectOutcomeKind.NoDifference => "no_difference",
        BisectOutcomeKind.BudgetExhausted => "budget_exhausted",
        _ => kind.ToString(),
    };

    private static string Shorten(string text) => text.Length > 500 ? text[..500] + "…" : text;
}
