using System.Security.Claims;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Server.Runs;
using PerfCI.Ui.Actions;
using PerfCI.Ui.PullRequests;

namespace PerfCI.Server.GitHub;

/// <summary>
/// A maintainer's two decisions on a pull request, for the API and the dashboard alike: approve a
/// fork's pull request for benchmarking (its code runs on the runners), and accept its regression
/// (the check turns green, with a note of who accepted it).
/// </summary>
public sealed class PullRequestDecisions(
    IDbContextFactory<PerfCiDbContext> contexts, IBackgroundJobClient jobs, TimeProvider time, ILogger<PullRequestRuns> logger) : IPullRequestActions
{
    public const int MaxNote = 2000;

    public async Task<ActionOutcome<bool>> ApproveAsync(ClaimsPrincipal user, string owner, string name, int number, CancellationToken cancellationToken) =>
        !ActionRoles.MayMaintain(user) ? ActionOutcome<bool>.Forbidden(PerfCiRoles.Maintainer)
        : await ApproveUncheckedAsync(owner, name, number, ActionRoles.NameOf(user), cancellationToken);

    public async Task<ActionOutcome<bool>> AcknowledgeRegressionAsync(ClaimsPrincipal user, string owner, string name, int number, string? note, CancellationToken cancellationToken) =>
        !ActionRoles.MayMaintain(user) ? ActionOutcome<bool>.Forbidden(PerfCiRoles.Maintainer)
        : await AcceptUncheckedAsync(owner, name, number, note, ActionRoles.NameOf(user), cancellationToken);

    /// <summary>
    /// Lets a fork's pull request run, as the approval label does; its head is benchmarked at once.
    /// The approval holds for later pushes until it is withdrawn (the label removed). For callers
    /// authorized elsewhere (an endpoint's policy).
    /// </summary>
    public async Task<ActionOutcome<bool>> ApproveUncheckedAsync(string owner, string name, int number, string by, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pullRequest = await FindAsync(db, owner, name, number, cancellationToken);
        if (pullRequest is null)
            return ActionOutcome<bool>.NotFound($"{owner}/{name} has no pull request #{number}.");
        if (pullRequest.State != PullRequestState.Open)
            return ActionOutcome<bool>.Invalid("state", $"Pull request #{number} is {pullRequest.State.ToString().ToLowerInvariant()}.");
        if (pullRequest.ApprovedAt is null)
        {
            pullRequest.ApprovedBy = by;
            pullRequest.ApprovedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }
        if (await new PullRequestRuns(db, jobs, time, logger).EnsureHeadRunAsync(pullRequest, by, cancellationToken) is { } runId)
            jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(runId, CancellationToken.None));
        jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequest.Id, CancellationToken.None));
        return ActionOutcome<bool>.Done(true);
    }

    /// <summary>Accepts the regression of the current head: the check turns green with who accepted it and why. A later push is judged afresh.</summary>
    public async Task<ActionOutcome<bool>> AcceptUncheckedAsync(string owner, string name, int number, string? note, string by, CancellationToken cancellationToken)
    {
        if (note is { Length: > MaxNote })
            return ActionOutcome<bool>.Invalid("note", $"At most {MaxNote} characters.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pullRequest = await FindAsync(db, owner, name, number, cancellationToken);
        if (pullRequest is null)
            return ActionOutcome<bool>.NotFound($"{owner}/{name} has no pull request #{number}.");
        pullRequest.AcceptedHeadSha = pullRequest.HeadSha;
        pullRequest.AcceptedBy = by;
        pullRequest.AcceptedNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        pullRequest.AcceptedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequest.Id, CancellationToken.None));
        return ActionOutcome<bool>.Done(true);
    }

    private static Task<PullRequest?> FindAsync(PerfCiDbContext db, string owner, string name, int number, CancellationToken cancellationToken) =>
        db.PullRequests.Include(p => p.Repository)
            .SingleOrDefaultAsync(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number, cancellationToken);
}
