using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Server.Analysis;
using PerfCI.Server.GitHub;
using PerfCI.Server.Results;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.GitHub;

/// <summary>
/// A regression on main, found by the series analysis, told on GitHub: a comment on the pull request
/// that brought the culprit in, and one issue per alert group; neither written twice.
/// </summary>
public sealed class RegressionNotificationTests
{
    private const int CulpritPullRequest = 77;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegressionWithAKnownCulprit_CommentsOnItsPullRequest_AndOpensOneIssue_NeverTwice()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(RegressionWithAKnownCulprit_CommentsOnItsPullRequest_AndOpensOneIssue_NeverTwice));
        var (repository, git, first) = await world.CreateRepositoryAsync("engine", new RepositorySettings { OpenIssuesForRegressions = true });
        var shas = git.CommitMany(29).Prepend(first).ToList();
        // Commit 18 is the merge of pull request 77: every commit is benchmarked, so nothing else can be the culprit.
        world.GitHub.AddPullRequest(repository, CulpritPullRequest, headSha: new string('e', 40));
        world.GitHub.AssociateCommit(repository, shas[18], CulpritPullRequest);

        for (var i = 0; i < shas.Count; i++)
            await IngestAsync(world, repository, shas[i], i, ttft: i < 18 ? 100 : 112);
        await world.Server.WaitForBackgroundJobsAsync();
        var groupId = await GroupIdAsync(world);
        var jobs = world.Server.Services.GetRequiredService<IBackgroundJobClient>();
        jobs.Enqueue<RegressionNotificationJob>(job => job.RunAsync(groupId, CancellationToken.None));
        jobs.Enqueue<RegressionNotificationJob>(job => job.RunAsync(groupId, CancellationToken.None));
        await world.Server.WaitForBackgroundJobsAsync();

        var comment = Assert.Single(world.GitHub.Comments(repository, CulpritPullRequest));
        Assert.StartsWith(RegressionNotificationJob.Marker(groupId), comment.Body, StringComparison.Ordinal);
        Assert.Contains("2 regressions on `main` since this pull request was merged", comment.Body, StringComparison.Ordinal);
        Assert.Contains($"`{shas[18][..12]}`", comment.Body, StringComparison.Ordinal);
        Assert.Contains("| `ttft_p50` | `serving/chat@c1` | `h100` |", comment.Body, StringComparison.Ordinal);
        var issue = Assert.Single(world.GitHub.Issues(repository));
        Assert.Equal([RegressionNotificationJob.IssueLabel], issue.Labels);
        Assert.StartsWith($"Performance regression at {shas[18][..12]}: ttft_p", issue.Title, StringComparison.Ordinal);
        Assert.Contains("https://perfci.example/api/alert-groups/", issue.Body, StringComparison.Ordinal);
        await using var db = world.Server.CreateDbContext();
        var group = await db.AlertGroups.SingleAsync(Ct);
        Assert.Equal((issue.Number, CulpritPullRequest), (group.GitHubIssueNumber, group.CulpritPullRequestNumber));
        Assert.Single(world.GitHub.Calls, c => c.Method == "POST" && c.Path.EndsWith($"/repos/{repository}/issues", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RegressionInARangeOfCommits_HasNoCulpritToTell_AndWithoutIssuesTellsGitHubNothing()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(RegressionInARangeOfCommits_HasNoCulpritToTell_AndWithoutIssuesTellsGitHubNothing));
        var (repository, git, first) = await world.CreateRepositoryAsync("engine");
        var shas = git.CommitMany(65).Prepend(first).ToList();

        // Every third commit benchmarked: the regression lies somewhere in a range of three.
        for (var i = 0; i < shas.Count; i += 3)
            await IngestAsync(world, repository, shas[i], i, ttft: i < 36 ? 100 : 112);
        await world.Server.WaitForBackgroundJobsAsync();

        await using var db = world.Server.CreateDbContext();
        var group = await db.AlertGroups.Include(g => g.FromCommit).Include(g => g.ToCommit).SingleAsync(Ct);
        Assert.Equal((shas[33], shas[36]), (group.FromCommit!.Sha, group.ToCommit.Sha));
        Assert.Null(group.CulpritPullRequestNumber);
        Assert.Empty(world.GitHub.Calls);
    }

    /// <summary>What a runner's upload of the commit's results does: store them, then analyse the run.</summary>
    private static async Task IngestAsync(GitHubHarness world, string repository, string sha, int seed, double ttft)
    {
        var random = new Random(seed);
        double[] Trials(double level) => [.. Enumerable.Range(0, 5).Select(_ => level * (1 + 0.01 * (random.NextDouble() - 0.5) * 3.4))];
        var document = new ResultDocument
        {
            Source = new ResultSource("perfci-bench"),
            Scenarios = [new ScenarioResult { Name = "chat", Concurrency = 1, Metrics = [MetricCatalog.Samples("ttft_p50", Trials(ttft)), MetricCatalog.Samples("ttft_p99", Trials(ttft * 1.3)), MetricCatalog.Samples("output_throughput", Trials(50))] }],
        };
        await using var scope = world.Server.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResultIngestor>()
            .IngestAsync(document, new IngestTarget(repository, sha, RunTrigger.Push) { Suite = "serving", HardwareClass = "h100" }, Ct);
        scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>().Enqueue<AnalyzeRunJob>(job => job.RunAsync(result.RunId, CancellationToken.None));
    }

    private static async Task<long> GroupIdAsync(GitHubHarness world)
    {
        await using var db = world.Server.CreateDbContext();
        return await db.AlertGroups.Select(g => g.Id).SingleAsync(Ct);
    }
}
