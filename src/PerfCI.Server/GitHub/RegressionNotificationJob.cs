using System.Globalization;
using System.Text;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Octokit;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;

namespace PerfCI.Server.GitHub;

/// <summary>
/// Tells GitHub about an open regression on the default branch: a comment on the pull request that
/// brought the culprit in, once the culprit is known (a bisect found it, or the alert's range is one
/// commit of the first-parent history), and, when the repository asks for it, one issue per alert
/// group. Both carry a hidden marker with the group's id and are looked for before they are written,
/// so that a retry or a second job never writes one twice; what was written is stored on the group.
/// Queued by the series analysis whenever a group has open regressions (and by a bisect that names a
/// culprit); a group with nothing left to say ends at once.
/// </summary>
public sealed class RegressionNotificationJob(PerfCiDbContext db, GitHubClients github, IOptions<GitHubOptions> options, ILogger<RegressionNotificationJob> logger)
{
    /// <summary>The label of the issues PerfCI opens, by which it finds them again.</summary>
    public const string IssueLabel = "perfci-regression";

    /// <summary>Stored as the culprit's pull request when the culprit came in without one (pushed straight to the branch).</summary>
    public const int NoPullRequest = 0;

    public static string Marker(long alertGroupId) => $"<!-- perfci:alert-group:{alertGroupId} -->";

    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    [GitHubRetry(Attempts = 10)]
    [DisableConcurrentExecution("github-alert-group:{0}", 300)]
    public async Task RunAsync(long alertGroupId, CancellationToken cancellationToken)
    {
        if (!github.Enabled)
            return;
        var group = await db.AlertGroups.Include(g => g.Repository).Include(g => g.FromCommit).Include(g => g.ToCommit)
            .SingleOrDefaultAsync(g => g.Id == alertGroupId, cancellationToken);
        if (group is null || !AlertGroups.IsOpen(group.State))
            return;
        var culprit = await CulpritAsync(group, cancellationToken);
        var commentDue = culprit is not null && group.CulpritPullRequestNumber is null;
        var issueDue = group.Repository.Settings.OpenIssuesForRegressions && group.GitHubIssueNumber is null;
        if (!commentDue && !issueDue)
            return;
        var regressions = await db.Alerts.AsNoTracking()
            .Where(a => a.GroupId == alertGroupId && a.Kind == AlertKind.Regression
                && (a.State == AlertState.New || a.State == AlertState.Acknowledged || a.State == AlertState.Confirmed))
            .OrderByDescending(a => a.Magnitude)
            .Select(a => new Regression(a.Series.Suite.Name, a.Series.Scenario, a.Series.Metric, a.Series.Unit, a.Series.HardwareClass,
                a.Magnitude, a.MagnitudeLower, a.MagnitudeUpper, a.ChangePoint == null ? null : (double?)a.ChangePoint.MeanBefore, a.ChangePoint == null ? null : (double?)a.ChangePoint.MeanAfter))
            .ToListAsync(cancellationToken);
        if (regressions.Count == 0)
            return;

        var (owner, name) = (group.Repository.Owner, group.Repository.Name);
        try
        {
            // A repository that is not on GitHub (or not covered by the App) answers 404 here.
            var client = await github.ForRepositoryAsync(db, group.RepositoryId, cancellationToken);
            if (commentDue)
                group.CulpritPullRequestNumber = await CommentOnCulpritAsync(client, owner, name, group, culprit!, regressions);
            if (issueDue)
                group.GitHubIssueNumber = await OpenIssueAsync(client, owner, name, group, culprit, regressions);
        }
        catch (NotFoundException e)
        {
            // The repository or the pull request is gone: no one is left to tell.
            logger.LogInformation("Alert group {Group} of {Repository} cannot be reported on GitHub ({Message})", group.Id, group.Repository.FullName, e.Message);
        }
        finally
        {
            // What was written stays written, even when the other part must be retried.
            await db.SaveChangesAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The commit that caused the group's regressions: a bisect's answer, or the first bad commit when
    /// it directly follows the last good one on the first-parent history (nothing else could be it).
    /// </summary>
    private async Task<Data.Entities.Commit?> CulpritAsync(AlertGroup group, CancellationToken cancellationToken)
    {
        if (group.CulpritCommitId is { } id)
            return await db.Commits.SingleAsync(c => c.Id == id, cancellationToken);
        return group.FromCommit?.FirstParentPosition is { } from && group.ToCommit.FirstParentPosition == from + 1 ? group.ToCommit : null;
    }

    private async Task<int> CommentOnCulpritAsync(IGitHubClient client, string owner, string name, AlertGroup group, Data.Entities.Commit culprit, List<Regression> regressions)
    {
        var pulls = await client.Repository.Commit.PullRequests(owner, name, culprit.Sha);
        var pull = pulls.FirstOrDefault(p => p.Merged) ?? (pulls.Count > 0 ? pulls[0] : null);
        if (pull is null)
        {
            logger.LogInformation("The culprit {Sha} of alert group {Group} came in without a pull request", culprit.Sha, group.Id);
            return NoPullRequest;
        }
        var marker = Marker(group.Id);
        var comments = await client.Issue.Comment.GetAllForIssue(owner, name, pull.Number);
        if (!comments.Any(c => c.Body?.Contains(marker, StringComparison.Ordinal) == true))
        {
            var body = new StringBuilder(marker).AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"### PerfCI: {Count(regressions.Count, "regression")} on `{group.Repository.DefaultBranch}` since this pull request was merged")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"The benchmarks of `{group.Repository.DefaultBranch}` changed at `{Short(culprit.Sha)}`, which this pull request brought in:")
                .AppendLine();
            Table(body, regressions);
            Links(body, group);
            await client.Issue.Comment.Create(owner, name, pull.Number, body.ToString());
            logger.LogInformation("Alert group {Group}: commented on #{Number}, which brought in {Sha}", group.Id, pull.Number, culprit.Sha);
        }
        return pull.Number;
    }

    private async Task<int> OpenIssueAsync(IGitHubClient client, string owner, string name, AlertGroup group, Data.Entities.Commit? culprit, List<Regression> regressions)
    {
        var marker = Marker(group.Id);
        var request = new RepositoryIssueRequest { State = ItemStateFilter.All };
        request.Labels.Add(IssueLabel);
        var existing = (await client.Issue.GetAllForRepository(owner, name, request)).FirstOrDefault(i => i.Body?.Contains(marker, StringComparison.Ordinal) == true);
        if (existing is not null)
            return existing.Number;
        var worst = regressions[0];
        var where = culprit is not null ? $"at {Short(culprit.Sha)}"
            : group.FromCommit is { } from ? $"between {Short(from.Sha)} and {Short(group.ToCommit.Sha)}" : $"at {Short(group.ToCommit.Sha)}";
        var issue = new NewIssue($"Performance regression {where}: {worst.Metric} {Percent(worst.Magnitude)} on {worst.Suite}/{worst.Scenario}"
            + (regressions.Count > 1 ? $" and {regressions.Count - 1} more" : ""));
        var cause = culprit is not null ? $"caused by `{Short(culprit.Sha)}`."
            : group.FromCommit is { } f ? $"after `{Short(f.Sha)}`, at or before `{Short(group.ToCommit.Sha)}`."
            : $"at `{Short(group.ToCommit.Sha)}`.";
        var body = new StringBuilder(marker).AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"PerfCI found {Count(regressions.Count, "regression")} on `{group.Repository.DefaultBranch}` {cause}")
            .AppendLine();
        Table(body, regressions);
        Links(body, group);
        issue.Body = body.ToString();
        issue.Labels.Add(IssueLabel);
        var created = await client.Issue.Create(owner, name, issue);
        logger.LogInformation("Alert group {Group}: opened issue #{Number}", group.Id, created.Number);
        return created.Number;
    }

    private static void Table(StringBuilder text, List<Regression> regressions)
    {
        text.AppendLine("| Metric | Scenario | Hardware | Before | After | Change (interval) |").AppendLine("|---|---|---|---:|---:|---|");
        foreach (var r in regressions)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| `{r.Metric}` | `{r.Suite}/{r.Scenario}` | `{r.HardwareClass}` | {Value(r.Before, r.Unit)} | {Value(r.After, r.Unit)} | {Percent(r.Magnitude)} ({Percent(r.Lower)} … {Percent(r.Upper)}) |");
        }
        text.AppendLine();
    }

    private void Links(StringBuilder text, AlertGroup group)
    {
        if (options.Value.PublicUrl is { } url)
            text.AppendLine(CultureInfo.InvariantCulture, $"[Alert group {group.Id} in the dashboard]({new Uri(url, $"api/alert-groups/{group.Id}")}): triage it there; PerfCI closes it as fixed when a later change restores the level.");
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Short(string sha) => sha[..Math.Min(12, sha.Length)];

    private static string Percent(double fraction) =>
        (fraction > 0 ? "+" : "") + (fraction * 100).ToString(Math.Abs(fraction) < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + "%";

    private static string Value(double? value, string unit) =>
        value is { } v ? $"{v.ToString(Math.Abs(v) >= 100 ? "0" : Math.Abs(v) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture)} {unit}" : "—";

    private sealed record Regression(
        string Suite, string Scenario, string Metric, string Unit, string HardwareClass, double Magnitude, double Lower, double Upper, double? Before, double? After);
}
