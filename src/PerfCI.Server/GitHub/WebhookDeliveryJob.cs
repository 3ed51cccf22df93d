using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;
using PerfCI.Server.Runs;

namespace PerfCI.Server.GitHub;

/// <summary>
/// Acts on one stored delivery: a push to a tracked branch records its commits and runs its head (or
/// every commit), a pull request gets a run of its head and a report, an App installation links the
/// repositories it covers. Re-entrant: a processed delivery is left alone, and every step checks what
/// exists before it adds, so a retry after a failure adds nothing twice. Events of one repository are
/// applied one at a time (an advisory lock), since GitHub may deliver them together and out of order.
/// </summary>
public sealed class WebhookDeliveryJob(
    PerfCiDbContext db, PullRequestRuns pullRequestRuns, CommitHistory history, RepositoryMirror mirror, IBackgroundJobClient jobs,
    IOptions<GitHubOptions> options, TimeProvider time, ILogger<WebhookDeliveryJob> logger)
{
    [AutomaticRetry(Attempts = 5)]
    public async Task RunAsync(string deliveryId, CancellationToken cancellationToken)
    {
        var delivery = await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.DeliveryId == deliveryId, cancellationToken);
        if (delivery is null || delivery.ProcessedAt is not null)
            return;
        WebhookEvent? webhookEvent;
        using (var document = JsonDocument.Parse(delivery.Payload))
            webhookEvent = WebhookEvents.Parse(delivery.Event, document.RootElement).Event;
        var repository = webhookEvent?.Repository?.Split('/') is [var owner, var name] ? await FindRepositoryAsync(owner, name, cancellationToken) : null;

        // Git work first, outside the transaction: it is slow and takes no lock of ours.
        string? mergeBase = null;
        if (repository is not null && webhookEvent is PushEvent push)
            await RecordPushedCommitsAsync(repository, push, cancellationToken);
        else if (repository is not null && webhookEvent is PullRequestEvent { Verb: "opened" or "reopened" or "synchronize" } opened)
            mergeBase = await MergeBaseAsync(repository, opened, cancellationToken);

        var queue = new List<Action>();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (repository is not null)
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(7033, {(int)repository.Id})", cancellationToken);
                repository = await db.Repositories.SingleAsync(r => r.Id == repository.Id, cancellationToken);
            }
            var stored = await db.WebhookDeliveries.SingleAsync(d => d.DeliveryId == deliveryId, cancellationToken);
            if (stored.ProcessedAt is not null)
                return;
            stored.Error = (webhookEvent, repository) switch
            {
                (InstallationEvent installation, _) => await OnInstallationAsync(installation, cancellationToken),
                (not null, null) => NotRegistered(webhookEvent.Repository!),
                (PushEvent p, not null) => await OnPushAsync(repository, p, queue, cancellationToken),
                (PullRequestEvent p, not null) => await OnPullRequestAsync(repository, p, mergeBase, queue, cancellationToken),
                _ => null,
            };
            stored.ProcessedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        // Only now can the jobs see what they are about.
        foreach (var enqueue in queue)
            enqueue();
    }

    /// <summary>
    /// The default branch's first-parent history, from git, gives parents and positions; another
    /// tracked branch's pushed commits are recorded with their parents.
    /// </summary>
    private async Task RecordPushedCommitsAsync(Repository repository, PushEvent push, CancellationToken cancellationToken)
    {
        if (push.Deleted || push.Branch is not { } branch || !Tracked(repository).Contains(branch, StringComparer.Ordinal))
            return;
        if (branch == repository.DefaultBranch && await history.RefreshAsync(repository.Id, cancellationToken))
            return;
        try
        {
            await Commits.StoreAsync(db, repository.Id, await mirror.CommitsAsync(repository.FullName, repository.CloneUrl, [.. push.Commits.Select(c => c.Sha)], cancellationToken), cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            // Git cannot give the parents now; the payload's own fields are kept, positions come with the next refresh.
            logger.LogWarning("Commits of the push to {Repository} recorded without parents: {Reason}", push.Repository, e.Message);
            await Commits.StoreAsync(db, repository.Id, push.Commits.Select(c => new HistoryCommit(c.Sha, [], c.AuthorName, c.AuthorEmail, c.Timestamp, FirstLine(c.Message))), cancellationToken);
        }
    }

    /// <returns>Why nothing was done, or null.</returns>
    private async Task<string?> OnPushAsync(Repository repository, PushEvent push, List<Action> queue, CancellationToken cancellationToken)
    {
        Link(repository, push.InstallationId, push.DefaultBranch);
        var tracked = Tracked(repository);
        if (push.Deleted || push.Branch is not { } branch || !tracked.Contains(branch, StringComparer.Ordinal))
        {
            logger.LogInformation("Push to {Ref} of {Repository} is not benchmarked (tracked: {Tracked})", push.Ref, push.Repository, string.Join(", ", tracked));
            return null;
        }
        var shas = repository.Settings.BenchmarkEveryPushedCommit
            ? push.Commits.Where(c => c.Distinct).Select(c => c.Sha).Append(push.After).Distinct().ToList()
            : [push.After];
        var now = time.GetUtcNow();
        var created = new List<Run>();
        foreach (var sha in shas)
        {
            var commit = await Commits.EnsureAsync(db, repository.Id, sha, now, cancellationToken);
            // The same commit pushed again (or to a second tracked branch) is not benchmarked twice.
            if (await db.Runs.AnyAsync(r => r.CommitId == commit.Id && r.Trigger == RunTrigger.Push, cancellationToken))
                continue;
            var run = new Run { RepositoryId = repository.Id, CommitId = commit.Id, Trigger = RunTrigger.Push, State = RunState.Pending, RequestedBy = push.Pusher, CreatedAt = now };
            db.Runs.Add(run);
            created.Add(run);
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var run in created)
        {
            var runId = run.Id;
            queue.Add(() => jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(runId, CancellationToken.None)));
        }
        logger.LogInformation("Push to {Branch} of {Repository}: {Runs} runs", branch, push.Repository, created.Count);
        return null;
    }

    private async Task<string?> OnPullRequestAsync(Repository repository, PullRequestEvent e, string? mergeBase, List<Action> queue, CancellationToken cancellationToken)
    {
        Link(repository, e.InstallationId, null);
        var pullRequest = await db.PullRequests.SingleOrDefaultAsync(p => p.RepositoryId == repository.Id && p.Number == e.Number, cancellationToken);
        var isNew = pullRequest is null;
        pullRequest ??= db.PullRequests.Add(new PullRequest { RepositoryId = repository.Id, Number = e.Number, HeadSha = e.HeadSha }).Entity;

        // GitHub may deliver events out of order: an older view of the pull request does not undo a newer one.
        var current = isNew || e.UpdatedAt >= pullRequest.UpdatedAt;
        var headMoved = !isNew && current && pullRequest.HeadSha != e.HeadSha;
        if (current)
        {
            pullRequest.Title = e.Title;
            pullRequest.Author = e.Author;
            pullRequest.HeadSha = e.HeadSha;
            pullRequest.HeadRef = e.HeadRef;
            pullRequest.HeadRepositoryFullName = e.HeadRepository;
            pullRequest.BaseRef = e.BaseRef;
            pullRequest.BaseSha = e.BaseSha;
            pullRequest.State = e.Verb switch
            {
                "closed" => e.Merged ? PullRequestState.Merged : PullRequestState.Closed,
                "opened" or "reopened" or "synchronize" => PullRequestState.Open,
                _ => isNew ? PullRequestState.Open : pullRequest.State,
            };
            pullRequest.UpdatedAt = e.UpdatedAt;
            // Code from a fork, or from someone without write access, runs only once a maintainer says so.
            pullRequest.RequiresApproval = e.FromFork || !PullRequestRuns.TrustedAssociations.Contains(e.AuthorAssociation);
            if (mergeBase is not null || isNew || headMoved)
                pullRequest.MergeBaseSha = mergeBase;
        }
        if (headMoved)
        {
            // Check runs belong to a commit: the new head gets its own.
            pullRequest.CheckRunId = null;
        }
        var approvalLabel = repository.Settings.ApprovalLabel;
        var isApprovalLabel = approvalLabel is not null && string.Equals(e.Label, approvalLabel, StringComparison.OrdinalIgnoreCase);
        if (e.Verb == "labeled" && isApprovalLabel && pullRequest.ApprovedAt is null)
        {
            pullRequest.ApprovedBy = e.Sender;
            pullRequest.ApprovedAt = time.GetUtcNow();
            logger.LogInformation("Pull request #{Number} of {Repository} approved by {Sender} with the label {Label}", e.Number, e.Repository, e.Sender, e.Label);
        }
        else if (e.Verb == "unlabeled" && isApprovalLabel)
        {
            pullRequest.ApprovedBy = null;
            pullRequest.ApprovedAt = null;
        }
        await db.SaveChangesAsync(cancellationToken);

        if (pullRequest.State != PullRequestState.Open)
            await pullRequestRuns.CancelQueuedAsync(pullRequest.Id, keepHeadSha: null, cancellationToken);
        else if (headMoved)
            await pullRequestRuns.CancelQueuedAsync(pullRequest.Id, keepHeadSha: pullRequest.HeadSha, cancellationToken);
        if (e.Verb is "opened" or "reopened" or "synchronize" or "labeled" && await pullRequestRuns.EnsureHeadRunAsync(pullRequest, e.Sender, cancellationToken) is { } runId)
            queue.Add(() => jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(runId, CancellationToken.None)));
        if (e.Verb != "edited")
        {
            var id = pullRequest.Id;
            queue.Add(() => jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(id, CancellationToken.None)));
        }
        return null;
    }

    /// <summary>
    /// The App's installations: a repository it is installed on is registered (or linked, when it
    /// already is); one it is removed from keeps its data but no longer has the installation.
    /// </summary>
    private async Task<string?> OnInstallationAsync(InstallationEvent e, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var unlink = e.Verb is "deleted" or "suspend" ? await db.Repositories.Where(r => r.GitHubInstallationId == e.InstallationId).ToListAsync(cancellationToken) : [];
        foreach (var repository in unlink)
            repository.GitHubInstallationId = null;
        foreach (var fullName in e.Removed)
        {
            if (await FindRepositoryAsync(fullName.Split('/')[0], fullName.Split('/')[1], cancellationToken) is { } removed && removed.GitHubInstallationId == e.InstallationId)
                removed.GitHubInstallationId = null;
        }
        foreach (var fullName in e.Added)
        {
            var (owner, name) = (fullName.Split('/')[0], fullName.Split('/')[1]);
            var repository = await FindRepositoryAsync(owner, name, cancellationToken);
            if (repository is null)
            {
                repository = db.Repositories.Add(new Repository { Owner = owner, Name = name, CloneUrl = CloneUrl(fullName), CreatedAt = now }).Entity;
                logger.LogInformation("Installation {Installation} registered {Repository}", e.InstallationId, fullName);
            }
            repository.GitHubInstallationId = e.InstallationId;
        }
        if (e.Verb == "unsuspend")
        {
            // GitHub sends no repository list on unsuspend: the App looks the installation up again when it next reports.
            logger.LogInformation("Installation {Installation} unsuspended", e.InstallationId);
        }
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }

    /// <summary>github.com's clone URL for api.github.com; an Enterprise Server's host for its /api/v3.</summary>
    private string CloneUrl(string fullName)
    {
        var api = options.Value.ApiBaseUrl;
        var host = api.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase) ? "github.com" : api.Authority;
        return $"{api.Scheme}://{host}/{fullName}.git";
    }

    private async Task<string?> MergeBaseAsync(Repository repository, PullRequestEvent e, CancellationToken cancellationToken)
    {
        try
        {
            return await mirror.MergeBaseAsync(repository.FullName, repository.CloneUrl, e.BaseSha, e.HeadSha, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // Compared with the base branch's tip instead, which the report says.
            logger.LogWarning("No merge base for pull request #{Number} of {Repository}: {Reason}", e.Number, e.Repository, ex.Message);
            return null;
        }
    }

    /// <summary>A payload of an App delivery names its installation; the default branch follows GitHub's.</summary>
    private static void Link(Repository repository, long? installationId, string? defaultBranch)
    {
        if (installationId is { } id)
            repository.GitHubInstallationId = id;
        if (!string.IsNullOrEmpty(defaultBranch))
            repository.DefaultBranch = defaultBranch;
    }

    /// <summary>Branches whose pushes are benchmarked: the settings' list, else the default branch.</summary>
    private static IReadOnlyList<string> Tracked(Repository repository) =>
        repository.Settings.TrackedBranches.Count > 0 ? repository.Settings.TrackedBranches : [repository.DefaultBranch];

    /// <summary>GitHub's names are case-insensitive; PerfCI's keep the case they were registered with.</summary>
    private Task<Repository?> FindRepositoryAsync(string owner, string name, CancellationToken cancellationToken)
    {
        var (lowerOwner, lowerName) = (owner.ToLowerInvariant(), name.ToLowerInvariant());
#pragma warning disable CA1862 // EF translates ToLower to SQL lower(); a StringComparison overload has no translation.
        return db.Repositories.FirstOrDefaultAsync(r => r.Owner.ToLower() == lowerOwner && r.Name.ToLower() == lowerName, cancellationToken);
#pragma warning restore CA1862
    }

    private string NotRegistered(string repository)
    {
        logger.LogInformation("A delivery for {Repository}, which is not registered, was ignored", repository);
        return $"{repository} is not registered.";
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
