using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Octokit;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Server.Analysis;
using PullRequest = PerfCI.Data.Entities.PullRequest;

namespace PerfCI.Server.GitHub;

/// <summary>
/// Reports a pull request's benchmarks on GitHub: a check run on its head (queued, waiting for
/// approval, in progress, then success, failure or neutral; a commit status where there is no App or
/// the App may not write checks) and, once runs have finished, one sticky comment that later reports
/// edit. Queued whenever something about the pull request changes; each time it reports the state as
/// it is then, so a retry or a second job is harmless. Jobs of one pull request run one at a time
/// (across every server instance: Hangfire's distributed lock), and the comment is found again by its
/// hidden marker when its id is not known, so two reports never make two comments.
/// </summary>
public sealed class PullRequestReportJob(
    PerfCiDbContext db, GitHubClients github, RunComparer comparer, IOptions<GitHubOptions> options, TimeProvider time, ILogger<PullRequestReportJob> logger)
{
    public const string CheckName = "PerfCI";
    public const string StatusContext = "perfci";

    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    [GitHubRetry(Attempts = 10)]
    [DisableConcurrentExecution("github-pr:{0}", 300)]
    public async Task RunAsync(long pullRequestId, CancellationToken cancellationToken)
    {
        if (!github.Enabled)
            return;
        var pullRequest = await db.PullRequests.Include(p => p.Repository).SingleOrDefaultAsync(p => p.Id == pullRequestId, cancellationToken);
        if (pullRequest is null)
            return;
        var state = await ReadStateAsync(pullRequest, cancellationToken);
        if (state is null)
            return;
        try
        {
            var client = await github.ForRepositoryAsync(db, pullRequest.RepositoryId, cancellationToken);
            await ReportCheckAsync(client, pullRequest, state, cancellationToken);
            if (state.Report is { } report && ShouldComment(pullRequest, report))
                await UpsertCommentAsync(client, pullRequest, report.Markdown(), cancellationToken);
        }
        catch (NotFoundException e)
        {
            // The pull request (or its repository) is gone: there is no one left to tell.
            logger.LogInformation("Pull request #{Number} of {Repository} is gone from GitHub ({Message}); its report ends here",
                pullRequest.Number, pullRequest.Repository.FullName, e.Message);
        }
    }

    /// <summary>
    /// The report of the head's finished runs (null when none finished): several runs of one head
    /// (re-runs, suites run apart) give each series as its latest run measured it. The dashboard shows
    /// the same verdict.
    /// </summary>
    public static async Task<PullRequestReport?> BuildReportAsync(
        RunComparer comparer, PullRequest pullRequest, IReadOnlyList<long> finished, Uri? publicUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (finished.Count == 0)
            return null;
        var metrics = new Dictionary<long, MetricComparisonView>();
        string? baseSha = null;
        foreach (var runId in finished)
        {
            var comparison = await comparer.CompareAsync(runId, null, cancellationToken);
            baseSha ??= comparison?.BaseCommit;
            foreach (var metric in comparison?.Metrics ?? [])
                metrics[metric.SeriesId] = metric;
        }
        var acceptance = pullRequest.AcceptedHeadSha == pullRequest.HeadSha && pullRequest.AcceptedBy is { } by
            ? new Acceptance(by, pullRequest.AcceptedNote, pullRequest.AcceptedAt ?? now)
            : null;
        return new PullRequestReport(pullRequest.Number, pullRequest.HeadSha, baseSha ?? pullRequest.MergeBaseSha ?? pullRequest.BaseSha, pullRequest.BaseRef,
            [.. metrics.Values.OrderBy(m => m.Suite, StringComparer.Ordinal).ThenBy(m => m.Scenario, StringComparer.Ordinal).ThenBy(m => m.Metric, StringComparer.Ordinal)],
            finished, acceptance, publicUrl);
    }

    /// <summary>Where the head's benchmarks stand, and their report once some have finished; null when there is nothing to say.</summary>
    private async Task<ReportState?> ReadStateAsync(PullRequest pullRequest, CancellationToken cancellationToken)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.PullRequestId == pullRequest.Id && r.Commit.Sha == pullRequest.HeadSha)
            .OrderBy(r => r.Id).Select(r => new { r.Id, r.State, r.Error, r.FinishedAt }).ToListAsync(cancellationToken);
        if (runs.Count == 0)
        {
            if (!PullRequestRuns.MayRun(pullRequest) && pullRequest.State == PullRequestState.Open)
            {
                var how = pullRequest.Repository.Settings.ApprovalLabel is { } label ? $"adds the `{label}` label or approves it in PerfCI" : "approves it in PerfCI";
                return new ReportState(CheckStatus.Queued, null, "Waiting for a maintainer's approval",
                    $"This pull request comes from a fork or from an author without write access, so its code runs on the benchmark machines only once a maintainer {how}.", null);
            }
            return null;
        }

        var finished = runs.Where(r => r.FinishedAt is not null && r.State == RunState.Succeeded).Select(r => r.Id).ToList();
        var report = await BuildReportAsync(comparer, pullRequest, finished, options.Value.PublicUrl, time.GetUtcNow(), cancellationToken);

        if (runs.Any(r => r.FinishedAt is null))
        {
            var running = runs.Any(r => r.State == RunState.Running);
            return new ReportState(running ? CheckStatus.InProgress : CheckStatus.Queued, null,
                running ? "Benchmarking" : "Queued for a runner",
                running ? $"The benchmarks of `{pullRequest.HeadSha[..12]}` are running." : $"The benchmarks of `{pullRequest.HeadSha[..12]}` wait for a runner.", report);
        }
        if (report is null)
        {
            var why = string.Join("; ", runs.Where(r => r.Error is not null).Select(r => r.Error)) is { Length: > 0 } errors ? errors : "its jobs failed or were cancelled; the dashboard has their logs";
            var cancelled = runs.All(r => r.State == RunState.Cancelled);
            return new ReportState(CheckStatus.Completed, CheckConclusion.Neutral,
                cancelled ? "Benchmarks cancelled" : "The benchmarks failed", cancelled ? "The runs of this head were cancelled." : $"No results to compare: {why}", null);
        }
        var conclusion = report.Overall switch
        {
            ReportVerdict.Regression => CheckConclusion.Failure,
            ReportVerdict.Inconclusive or ReportVerdict.NoBaseline => CheckConclusion.Neutral,
            _ => CheckConclusion.Success,
        };
        return new ReportState(CheckStatus.Completed, conclusion, report.Headline, report.Markdown(withMarker: false), report);
    }

    /// <summary>The repository's comment policy: always, only when something changed (or a comment already says otherwise), never.</summary>
    private static bool ShouldComment(PullRequest pullRequest, PullRequestReport report) => pullRequest.Repository.Settings.CommentPolicy switch
    {
        CommentPolicy.Never => false,
        CommentPolicy.OnChange => report.HasChange || pullRequest.StickyCommentId is not null,
        _ => true,
    };

    private async Task ReportCheckAsync(IGitHubClient client, PullRequest pullRequest, ReportState state, CancellationToken cancellationToken)
    {
        if (github.UsesApp)
        {
            try
            {
                await ReportCheckRunAsync(client, pullRequest, state, cancellationToken);
                return;
            }
            catch (ForbiddenException e)
            {
                // The App was installed without the checks permission: a commit status says the same.
                logger.LogInformation("No checks permission on {Repository} ({Message}): reporting a commit status", pullRequest.Repository.FullName, e.Message);
            }
        }
        var (owner, name) = (pullRequest.Repository.Owner, pullRequest.Repository.Name);
        var status = new NewCommitStatus
        {
            Context = StatusContext,
            State = state.Status != CheckStatus.Completed ? CommitState.Pending
                : state.Conclusion == CheckConclusion.Failure ? CommitState.Failure
                : CommitState.Success,
            Description = Truncate(state.Title, 140),
            TargetUrl = state.Report?.ComparisonUrl(state.Report.RunIds[^1])?.ToString(),
        };
        await client.Repository.Status.Create(owner, name, pullRequest.HeadSha, status);
    }

    private async Task ReportCheckRunAsync(IGitHubClient client, PullRequest pullRequest, ReportState state, CancellationToken cancellationToken)
    {
        var (owner, name) = (pullRequest.Repository.Owner, pullRequest.Repository.Name);
        var output = new NewCheckRunOutput(Truncate(state.Title, 1000), Truncate(state.Summary, PullRequestReport.MaxLength));
        var details = state.Report?.ComparisonUrl(state.Report.RunIds[^1])?.ToString();
        var completedAt = state.Status == CheckStatus.Completed ? time.GetUtcNow() : (DateTimeOffset?)null;
        // A check run created by an earlier attempt whose id was not saved is found by its external id.
        var checkRunId = pullRequest.CheckRunId ?? (await client.Check.Run.GetAllForReference(owner, name, pullRequest.HeadSha, new CheckRunRequest { CheckName = CheckName }))
            .CheckRuns.FirstOrDefault(c => c.ExternalId == ExternalId(pullRequest))?.Id;
        if (checkRunId is { } id)
        {
            await client.Check.Run.Update(owner, name, id, new CheckRunUpdate
            {
                Status = state.Status, Conclusion = Conclusion(state), CompletedAt = completedAt, Output = output, DetailsUrl = details,
            });
        }
        else
        {
            id = (await client.Check.Run.Create(owner, name, new NewCheckRun(CheckName, pullRequest.HeadSha)
            {
                ExternalId = ExternalId(pullRequest), Status = state.Status, Conclusion = Conclusion(state), CompletedAt = completedAt,
                Output = output, DetailsUrl = details,
            })).Id;
        }
        if (pullRequest.CheckRunId != id)
        {
            pullRequest.CheckRunId = id;
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Edits PerfCI's comment, or creates it when there is none. Its id is kept; when it is not known
    /// (a report that died between creating and saving, a second server) the comment is found by its marker.
    /// </summary>
    private async Task UpsertCommentAsync(IGitHubClient client, PullRequest pullRequest, string body, CancellationToken cancellationToken)
    {
        var (owner, name) = (pullRequest.Repository.Owner, pullRequest.Repository.Name);
        if (pullRequest.StickyCommentId is { } known)
        {
            try
            {
                await client.Issue.Comment.Update(owner, name, known, body);
                return;
            }
            catch (NotFoundException)
            {
                // Someone deleted it: post it again, found first in case another report already did.
                logger.LogInformation("The comment {CommentId} on #{Number} of {Repository} was deleted; posting it again", known, pullRequest.Number, pullRequest.Repository.FullName);
            }
        }
        var existing = (await client.Issue.Comment.GetAllForIssue(owner, name, pullRequest.Number))
            .Where(c => c.Body?.Contains(PullRequestReport.Marker, StringComparison.Ordinal) == true).OrderBy(c => c.Id).FirstOrDefault();
        long id;
        if (existing is not null)
        {
            await client.Issue.Comment.Update(owner, name, existing.Id, body);
            id = existing.Id;
        }
        else
        {
            id = (await client.Issue.Comment.Create(owner, name, pullRequest.Number, body)).Id;
            logger.LogInformation("Posted the report on #{Number} of {Repository} (comment {CommentId})", pullRequest.Number, pullRequest.Repository.FullName, id);
        }
        pullRequest.StickyCommentId = id;
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Written out: a bare null here would be taken for a string and turned into an empty (invalid) conclusion.</summary>
    private static StringEnum<CheckConclusion>? Conclusion(ReportState state)
    {
        if (state.Conclusion is { } conclusion)
            return new StringEnum<CheckConclusion>(conclusion);
        return default(StringEnum<CheckConclusion>?);
    }

    private static string ExternalId(PullRequest pullRequest) => $"perfci-pr-{pullRequest.Id}";

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private sealed record ReportState(CheckStatus Status, CheckConclusion? Conclusion, string Title, string Summary, PullRequestReport? Report);
}
