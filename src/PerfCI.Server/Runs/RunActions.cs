using System.Security.Claims;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Runs;

namespace PerfCI.Server.Runs;

/// <summary>
/// Cancel and re-run, for the API and the dashboard alike. A fresh context per call: a dashboard
/// circuit outlives any request, and its context must not.
/// </summary>
public sealed class RunActions(IDbContextFactory<PerfCiDbContext> contexts, IBackgroundJobClient jobs, TimeProvider time) : IRunActions
{
    public async Task<ActionOutcome<long>> CancelAsync(ClaimsPrincipal user, long runId, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayMaintain(user))
            return ActionOutcome<long>.Forbidden(PerfCiRoles.Maintainer);
        return await CancelUncheckedAsync(runId, cancellationToken) ? ActionOutcome<long>.Done(runId) : ActionOutcome<long>.NotFound($"There is no run {runId}.");
    }

    /// <summary>
    /// Queued jobs are cancelled at once; running ones are told at their runner's next heartbeat
    /// (the runner stops the engine and ends the job as cancelled). For callers authorized elsewhere
    /// (an endpoint's policy). False when there is no such run.
    /// </summary>
    public async Task<bool> CancelUncheckedAsync(long runId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken))
            return false;
        var now = time.GetUtcNow();
        await db.Jobs.Where(j => j.RunId == runId && j.State == JobState.Queued)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.State, JobState.Cancelled).SetProperty(j => j.FinishedAt, now), cancellationToken);
        await db.Jobs.Where(j => j.RunId == runId && j.State == JobState.Running)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.CancelRequested, true), cancellationToken);
        await db.Runs.Where(r => r.Id == runId && r.State == RunState.Pending)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunState.Cancelled).SetProperty(r => r.FinishedAt, now), cancellationToken);
        if (await db.Jobs.Where(j => j.RunId == runId).Select(j => (long?)j.Id).FirstOrDefaultAsync(cancellationToken) is { } jobId)
            await PerfCI.Server.Runners.Runs.FinishIfDoneAsync(db, jobs, jobId, now, cancellationToken);
        return true;
    }

    /// <summary>
    /// A new run of the same commit with the same suites and hardware class, expanded afresh from
    /// perfci.yml. Its measurements join the series as more trials of that commit. A pull request's
    /// re-run stays its run, so the report takes it in.
    /// </summary>
    public async Task<ActionOutcome<long>> RerunAsync(ClaimsPrincipal user, long runId, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayMaintain(user))
            return ActionOutcome<long>.Forbidden(PerfCiRoles.Maintainer);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var old = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (old is null)
            return ActionOutcome<long>.NotFound($"There is no run {runId}.");
        if (old.Trigger == RunTrigger.Bisect)
            return ActionOutcome<long>.Invalid("runId", "A bisect step is re-run by its bisect, not by hand.");
        var run = new Run
        {
            RepositoryId = old.RepositoryId, CommitId = old.CommitId, PullRequestId = old.PullRequestId,
            Trigger = old.PullRequestId is null ? RunTrigger.Manual : RunTrigger.PullRequest, State = RunState.Pending,
            HardwareClass = old.HardwareClass, SuiteFilter = old.SuiteFilter, RequestedBy = ActionRoles.NameOf(user), CreatedAt = time.GetUtcNow(),
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(run.Id, CancellationToken.None));
        return ActionOutcome<long>.Done(run.Id);
    }
}
