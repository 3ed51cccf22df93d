using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Runs;

namespace PerfCI.Server.GitHub;

/// <summary>
/// The runs of a pull request: one for its head once it may run (a fork's only after a maintainer
/// approved it), older heads' queued work cancelled when a push supersedes them, everything queued
/// cancelled when it closes.
/// </summary>
public sealed class PullRequestRuns(PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time, ILogger<PullRequestRuns> logger)
{
    /// <summary>Who may run code on the runners without a maintainer's approval (GitHub's author_association).</summary>
    public static readonly IReadOnlySet<string> TrustedAssociations = new HashSet<string>(StringComparer.Ordinal) { "OWNER", "MEMBER", "COLLABORATOR" };

    public static bool MayRun(PullRequest pullRequest) => !pullRequest.RequiresApproval || pullRequest.ApprovedAt is not null;

    /// <summary>
    /// A run of the head, unless it may not run yet or one already exists for this head; saved, not yet
    /// expanded: the caller queues <see cref="ExpandRunJob"/> once its transaction is committed (a job
    /// started earlier would not see the run). Returns the new run's id, or null.
    /// </summary>
    public async Task<long?> EnsureHeadRunAsync(PullRequest pullRequest, string requestedBy, CancellationToken cancellationToken)
    {
        if (!MayRun(pullRequest) || pullRequest.State != PullRequestState.Open)
            return null;
        var commit = await Commits.EnsureAsync(db, pullRequest.RepositoryId, pullRequest.HeadSha, time.GetUtcNow(), cancellationToken);
        if (await db.Runs.AnyAsync(r => r.PullRequestId == pullRequest.Id && r.CommitId == commit.Id, cancellationToken))
            return null;
        var run = new Run
        {
            RepositoryId = pullRequest.RepositoryId, CommitId = commit.Id, PullRequestId = pullRequest.Id, Trigger = RunTrigger.PullRequest,
            State = RunState.Pending, RequestedBy = requestedBy, CreatedAt = time.GetUtcNow(),
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Run {RunId} benchmarks pull request #{Number} at {Sha}", run.Id, pullRequest.Number, pullRequest.HeadSha);
        return run.Id;
    }

    /// <summary>
    /// Cancels the queued jobs (and not yet expanded runs) of the pull request's runs, except those of
    /// <paramref name="keepHeadSha"/>; jobs already on a runner finish. Runs left with nothing to do end.
    /// </summary>
    public async Task CancelQueuedAsync(long pullRequestId, string? keepHeadSha, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var runs = db.Runs.Where(r => r.PullRequestId == pullRequestId && (keepHeadSha == null || r.Commit.Sha != keepHeadSha));
        var runIds = await runs.Where(r => r.FinishedAt == null).Select(r => r.Id).ToListAsync(cancellationToken);
        if (runIds.Count == 0)
            return;
        await db.Runs.Where(r => runIds.Contains(r.Id) && r.State == RunState.Pending)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunState.Cancelled).SetProperty(r => r.FinishedAt, now).SetProperty(r => r.Error, "Superseded or closed before it was expanded."), cancellationToken);
        var cancelled = await db.Jobs.Where(j => runIds.Contains(j.RunId) && j.State == JobState.Queued)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.State, JobState.Cancelled).SetProperty(j => j.FinishedAt, now), cancellationToken);
        foreach (var runId in runIds)
        {
            if (await db.Jobs.Where(j => j.RunId == runId).Select(j => (long?)j.Id).FirstOrDefaultAsync(cancellationToken) is { } jobId)
                await PerfCI.Server.Runners.Runs.FinishIfDoneAsync(db, jobs, jobId, now, cancellationToken);
        }
        logger.LogInformation("Pull request {PullRequestId}: {Jobs} queued jobs of {Runs} runs cancelled", pullRequestId, cancelled, runIds.Count);
    }
}

/// <summary>Commits as PerfCI stores them: created once, whoever asks first, and filled in as more is known.</summary>
public static class Commits
{
    /// <summary>The commit row for <paramref name="sha"/>, inserted if absent (a race with another insert is not an error).</summary>
    public static async Task<Commit> EnsureAsync(PerfCiDbContext db, long repositoryId, string sha, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at)
            VALUES ({repositoryId}, {sha}, {Array.Empty<string>()}, '', '', '', {now.ToUniversalTime()})
            ON CONFLICT (repository_id, sha) DO NOTHING
            """, cancellationToken);
        return await db.Commits.SingleAsync(c => c.RepositoryId == repositoryId && c.Sha == sha, cancellationToken);
    }

    /// <summary>Stores the commits with their parents and authors; an existing row keeps its first-parent position.</summary>
    public static async Task StoreAsync(PerfCiDbContext db, long repositoryId, IEnumerable<HistoryCommit> commits, CancellationToken cancellationToken)
    {
        foreach (var commit in commits)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at)
                VALUES ({repositoryId}, {commit.Sha}, {commit.Parents}, {commit.AuthorName}, {commit.AuthorEmail}, {commit.Subject}, {commit.CommittedAt.ToUniversalTime()})
                ON CONFLICT (repository_id, sha) DO UPDATE SET
                    parent_shas = excluded.parent_shas, author_name = excluded.author_name, author_email = excluded.author_email,
                    message = excluded.message, committed_at = excluded.committed_at
                """, cancellationToken);
        }
    }
}
