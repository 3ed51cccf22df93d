using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;
using PerfCI.Server.GitHub;
using PerfCI.Ui.PullRequests;

namespace PerfCI.Server.Dashboard;

/// <summary>
/// The pull requests pages' reads: no tracking, a fresh context per call. The verdict is the one the
/// pull request's report gives (<see cref="PullRequestReportJob.BuildReportAsync"/>), so the
/// dashboard and GitHub never disagree.
/// </summary>
public sealed class PullRequestQueries(IDbContextFactory<PerfCiDbContext> contexts, IOptions<GitHubOptions> github, TimeProvider time) : IPullRequestQueries
{
    public async Task<IReadOnlyList<PullRequestItem>> ListAsync(string? repository, bool openOnly, CancellationToken cancellationToken)
    {
        List<PullRequest> pullRequests;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var query = db.PullRequests.AsNoTracking().Include(p => p.Repository).AsQueryable();
            if (repository?.Split('/') is [var owner, var name])
                query = query.Where(p => p.Repository.Owner == owner && p.Repository.Name == name);
            if (openOnly)
                query = query.Where(p => p.State == PullRequestState.Open);
            pullRequests = await query.OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Take(100).ToListAsync(cancellationToken);
        }
        return await JudgeAllAsync(contexts, pullRequests, github.Value.PublicUrl, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>For the home page: the open pull requests of each repository (at most <paramref name="perRepository"/>), most recently updated first.</summary>
    public static async Task<ILookup<long, PullRequestItem>> OpenAsync(
        IDbContextFactory<PerfCiDbContext> contexts, int perRepository, Uri? publicUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<PullRequest> pullRequests;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // One lateral query: each repository's newest open pull requests.
            var ids = await db.Repositories.AsNoTracking()
                .SelectMany(r => db.PullRequests.Where(p => p.RepositoryId == r.Id && p.State == PullRequestState.Open)
                    .OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Take(perRepository).Select(p => p.Id))
                .ToListAsync(cancellationToken);
            pullRequests = await db.PullRequests.AsNoTracking().Include(p => p.Repository).Where(p => ids.Contains(p.Id))
                .OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).ToListAsync(cancellationToken);
        }
        var items = await JudgeAllAsync(contexts, pullRequests, publicUrl, now, cancellationToken);
        return items.Zip(pullRequests).ToLookup(pair => pair.Second.RepositoryId, pair => pair.First);
    }

    /// <summary>
    /// The verdicts of several pull requests, in their order. Each is its report's comparison (a few
    /// queries per run), so they are judged side by side, each on its own context.
    /// </summary>
    private static async Task<IReadOnlyList<PullRequestItem>> JudgeAllAsync(
        IDbContextFactory<PerfCiDbContext> contexts, List<PullRequest> pullRequests, Uri? publicUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var items = new PullRequestItem[pullRequests.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, pullRequests.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                items[i] = (await JudgeAsync(db, pullRequests[i], publicUrl, now, ct)).Item;
            });
        return items;
    }

    public async Task<PullRequestDetail?> GetAsync(string owner, string name, int number, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pullRequest = await db.PullRequests.AsNoTracking().Include(p => p.Repository)
            .SingleOrDefaultAsync(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number, cancellationToken);
        if (pullRequest is null)
            return null;
        var (item, report) = await JudgeAsync(db, pullRequest, cancellationToken);
        var runs = await db.Runs.AsNoTracking().Where(r => r.PullRequestId == pullRequest.Id).OrderByDescending(r => r.Id)
            .Select(r => new PullRequestRun(r.Id, r.Commit.Sha, r.State, r.CreatedAt)).ToListAsync(cancellationToken);
        var changes = report is null ? [] : report.Regressions.Concat(report.Unsure).Concat(report.Improvements)
            .Select(m => new PullRequestMetric(m.Suite, m.Scenario, m.Metric, m.Unit, Word(m.Verdict), m.Shift, m.ShiftLower, m.ShiftUpper, m.BaselineMedian, m.CandidateMedian))
            .ToList();
        return new PullRequestDetail(item, pullRequest.BaseRef, pullRequest.MergeBaseSha, pullRequest.RequiresApproval, pullRequest.ApprovedBy, pullRequest.ApprovedAt,
            pullRequest.AcceptedBy, pullRequest.AcceptedNote, pullRequest.AcceptedHeadSha == pullRequest.HeadSha, runs, changes);
    }

    private Task<(PullRequestItem Item, PullRequestReport? Report)> JudgeAsync(PerfCiDbContext db, PullRequest pullRequest, CancellationToken cancellationToken) =>
        JudgeAsync(db, pullRequest, github.Value.PublicUrl, time.GetUtcNow(), cancellationToken);

    private static async Task<(PullRequestItem Item, PullRequestReport? Report)> JudgeAsync(
        PerfCiDbContext db, PullRequest pullRequest, Uri? publicUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var runs = await db.Runs.AsNoTracking().Where(r => r.PullRequestId == pullRequest.Id && r.Commit.Sha == pullRequest.HeadSha)
            .OrderBy(r => r.Id).Select(r => new { r.Id, r.State, r.FinishedAt }).ToListAsync(cancellationToken);
        PullRequestReport? report = null;
        PullRequestVerdict verdict;
        if (pullRequest.State == PullRequestState.Open && pullRequest.RequiresApproval && pullRequest.ApprovedAt is null)
            verdict = PullRequestVerdict.WaitingForApproval;
        else if (runs.Count == 0)
            verdict = PullRequestVerdict.NotRun;
        else if (runs.Any(r => r.FinishedAt is null))
            verdict = PullRequestVerdict.Running;
        else
        {
            var finished = runs.Where(r => r.State == RunState.Succeeded).Select(r => r.Id).ToList();
            report = await PullRequestReportJob.BuildReportAsync(new RunComparer(db), pullRequest, finished, publicUrl, now, cancellationToken);
            verdict = report?.Overall switch
            {
                null => PullRequestVerdict.Failed,
                ReportVerdict.Regression => PullRequestVerdict.Regression,
                ReportVerdict.AcceptedRegression => PullRequestVerdict.AcceptedRegression,
                ReportVerdict.Inconclusive => PullRequestVerdict.Inconclusive,
                ReportVerdict.NoBaseline => PullRequestVerdict.NoBaseline,
                ReportVerdict.Improvement => PullRequestVerdict.Improvement,
                _ => PullRequestVerdict.NoChange,
            };
        }
        var item = new PullRequestItem(pullRequest.Id, pullRequest.Repository.FullName, pullRequest.Number, pullRequest.Title, pullRequest.Author, pullRequest.State,
            pullRequest.HeadSha, !string.IsNullOrEmpty(pullRequest.HeadRepositoryFullName) && pullRequest.HeadRepositoryFullName != pullRequest.Repository.FullName,
            verdict, pullRequest.UpdatedAt);
        return (item, report);
    }

    private static string Word(Verdict verdict) => verdict switch
    {
        Verdict.Regression => "regression",
        Verdict.Improvement => "improvement",
        Verdict.Inconclusive => "inconclusive",
        _ => "no change",
    };
}
