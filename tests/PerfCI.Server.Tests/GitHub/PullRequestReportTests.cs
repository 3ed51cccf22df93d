using System.Net;
using System.Net.Http.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Server.GitHub;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.GitHub;

/// <summary>
/// A pull request from webhook to report, through real Octokit against the fake GitHub: its head is
/// run, one comment is posted and later edited, a check run follows the run, and GitHub's rate
/// limits, 500s and 404s are met the way GitHub asks.
/// </summary>
public sealed class PullRequestReportTests
{
    private const int Number = 12;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PullRequestOpened_RunsItsHead_ThenPostsOneComment_AndCompletesTheCheckRun()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(PullRequestOpened_RunsItsHead_ThenPostsOneComment_AndCompletesTheCheckRun));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("a slower scheduler");

        await world.PullRequestAsync("opened", repository, Number, slower, main);
        var queued = Assert.Single(world.GitHub.CheckRuns(repository));
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0, pauseWhileRunning: true);

        Assert.Equal(("queued", slower, PullRequestReportJob.CheckName), (queued.Status, queued.HeadSha, queued.Name));
        var comment = Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.StartsWith(PullRequestReport.Marker, comment.Body, StringComparison.Ordinal);
        Assert.Contains("❌ Regression: 3 metrics worse", comment.Body, StringComparison.Ordinal);
        var changedTable = comment.Body[..comment.Body.IndexOf("<details>", StringComparison.Ordinal)];
        Assert.All(["`ttft_p50`", "`tpot_p50`", "`output_throughput`"], metric => Assert.Contains(metric, changedTable, StringComparison.Ordinal));
        Assert.Contains($"perfci-runner exec --repo . --commit {main} --suite serving", comment.Body, StringComparison.Ordinal);
        Assert.Contains($"https://perfci.example/compare?run=", comment.Body, StringComparison.Ordinal);
        Assert.Contains($"`{main[..12]}` (its merge base with `main`", comment.Body, StringComparison.Ordinal);
        var check = Assert.Single(world.GitHub.CheckRuns(repository));
        Assert.Equal(("completed", "failure"), (check.Status, check.Conclusion));
        Assert.StartsWith("❌ Regression", check.Title, StringComparison.Ordinal);
        Assert.Equal(["queued", "in_progress", "completed:failure"], Collapse(check.History));
        // The installation token is fetched once and reused until it nears expiry.
        Assert.Single(world.GitHub.Calls, c => c.Path.EndsWith("/access_tokens", StringComparison.Ordinal));
        Assert.DoesNotContain(world.GitHub.Calls, c => c.Status >= 400);
    }

    [Fact]
    public async Task InstallationToken_NearItsExpiry_IsRenewedBeforeUse()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(InstallationToken_NearItsExpiry_IsRenewedBeforeUse));
        // Every token GitHub hands out already has less left than PerfCI's margin.
        world.GitHub.TokenLifetime = GitHubClients.RenewBefore - TimeSpan.FromMinutes(1);
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");

        await world.PullRequestAsync("opened", repository, Number, head, main);
        await world.RunQueuedJobsAsync(_ => 1.0);

        var repositoryCalls = world.GitHub.Calls.Where(c => c.Path.Contains("/repos/", StringComparison.Ordinal)).ToList();
        var tokens = world.GitHub.Calls.Count(c => c.Path.EndsWith("/access_tokens", StringComparison.Ordinal));
        Assert.Equal(repositoryCalls.Count, tokens);
        Assert.All(repositoryCalls, c => Assert.True(c.Status < 400, $"{c.Method} {c.Path}: {c.Status}"));
        Assert.Single(world.GitHub.Comments(repository, Number));
    }

    [Fact]
    public async Task SecondPush_EditsTheSameComment_AndTheNewHeadGetsItsOwnCheckRun()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(SecondPush_EditsTheSameComment_AndTheNewHeadGetsItsOwnCheckRun));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("a slower scheduler");
        await world.PullRequestAsync("opened", repository, Number, slower, main);
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0);
        var first = Assert.Single(world.GitHub.Comments(repository, Number));

        var fixedHead = git.Commit("the scheduler, fixed");
        await world.PullRequestAsync("synchronize", repository, Number, fixedHead, main);
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0);

        var edited = Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.Equal(first.Id, edited.Id);
        Assert.True(edited.UpdatedAt >= first.UpdatedAt);
        Assert.Contains("✅ No significant change", edited.Body, StringComparison.Ordinal);
        Assert.Contains("Smallest detectable change: **", edited.Body, StringComparison.Ordinal);
        Assert.Contains($"Compared `{fixedHead[..12]}`", edited.Body, StringComparison.Ordinal);
        Assert.Single(world.GitHub.Calls, c => c.Method == "POST" && c.Path.EndsWith($"/issues/{Number}/comments", StringComparison.Ordinal));
        var checks = world.GitHub.CheckRuns(repository);
        Assert.Equal(2, checks.Count);
        Assert.Equal(("completed", "failure"), (checks.Single(c => c.HeadSha == slower).Status, checks.Single(c => c.HeadSha == slower).Conclusion));
        Assert.Equal(("completed", "success"), (checks.Single(c => c.HeadSha == fixedHead).Status, checks.Single(c => c.HeadSha == fixedHead).Conclusion));
    }

    [Fact]
    public async Task TwoReportsAtOnce_PostOneComment()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(TwoReportsAtOnce_PostOneComment));
        var (repository, git, main) = await BenchmarkedMainAsync(world, new RepositorySettings { CommentPolicy = CommentPolicy.Never });
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");
        await world.PullRequestAsync("opened", repository, Number, head, main);
        await world.RunQueuedJobsAsync(_ => 1.0);
        Assert.Empty(world.GitHub.Comments(repository, Number));
        await using (var db = world.Server.CreateDbContext())
            await db.Repositories.ExecuteUpdateAsync(set => set.SetProperty(r => r.Settings, new RepositorySettings { CommentPolicy = CommentPolicy.Always }), Ct);
        var pullRequestId = await PullRequestIdAsync(world);

        var jobs = world.Server.Services.GetRequiredService<IBackgroundJobClient>();
        jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
        jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
        await world.Server.WaitForBackgroundJobsAsync();

        var comment = Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.Contains("✅ No significant change", comment.Body, StringComparison.Ordinal);
        Assert.Single(world.GitHub.Calls, c => c.Method == "POST" && c.Path.EndsWith($"/issues/{Number}/comments", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReportThatLostTheCommentId_FindsTheCommentByItsMarker_OnALaterPage_AndEditsIt()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(ReportThatLostTheCommentId_FindsTheCommentByItsMarker_OnALaterPage_AndEditsIt));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");
        world.GitHub.AddPullRequest(repository, Number, head);
        for (var i = 0; i < 35; i++)
            world.GitHub.AddComment(repository, Number, $"LGTM {i}", author: "reviewer");
        await world.PullRequestAsync("opened", repository, Number, head, main);
        await world.RunQueuedJobsAsync(_ => 1.0);
        var posted = Assert.Single(world.GitHub.Comments(repository, Number), c => c.Author == FakeGitHub.BotLogin);
        var pullRequestId = await PullRequestIdAsync(world);
        await using (var db = world.Server.CreateDbContext())
            await db.PullRequests.ExecuteUpdateAsync(set => set.SetProperty(p => p.StickyCommentId, (long?)null), Ct);

        world.Server.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
        await world.Server.WaitForBackgroundJobsAsync();

        var ours = Assert.Single(world.GitHub.Comments(repository, Number), c => c.Author == FakeGitHub.BotLogin);
        Assert.Equal(posted.Id, ours.Id);
        Assert.Equal(36, world.GitHub.Comments(repository, Number).Count);
        Assert.Contains(world.GitHub.Calls, c => c.Method == "GET" && c.Path.EndsWith($"/issues/{Number}/comments", StringComparison.Ordinal) && c.Query.Contains("page=2", StringComparison.Ordinal));
        await using (var db = world.Server.CreateDbContext())
            Assert.Equal(posted.Id, await db.PullRequests.Select(p => p.StickyCommentId).SingleAsync(Ct));
    }

    [Fact]
    public async Task RateLimitedAndServerErrors_AreRetriedLaterByHangfire_TheCommentIsPosted_AndNothingIsLost()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(RateLimitedAndServerErrors_AreRetriedLaterByHangfire_TheCommentIsPosted_AndNothingIsLost));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("a slower scheduler");
        await world.PullRequestAsync("opened", repository, Number, slower, main);
        world.GitHub.Fail("POST", $"/issues/{Number}/comments$", GitHubFault.RateLimited);
        world.GitHub.Fail("PATCH", "/check-runs/\\d+$", GitHubFault.ServerError);

        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0, wait: false);
        await world.GitHub.WaitForAsync(g => g.Comments(repository, Number).Count > 0 && g.CheckRuns(repository).All(c => c.Status == "completed"),
            TimeSpan.FromSeconds(90), "the comment and the completed check run");
        await world.Server.WaitForBackgroundJobsAsync(TimeSpan.FromSeconds(90), waitForRetries: true);

        var comment = Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.Contains("❌ Regression", comment.Body, StringComparison.Ordinal);
        var check = Assert.Single(world.GitHub.CheckRuns(repository));
        Assert.Equal(("completed", "failure"), (check.Status, check.Conclusion));
        var posts = world.GitHub.Calls.Where(c => c.Method == "POST" && c.Path.EndsWith($"/issues/{Number}/comments", StringComparison.Ordinal)).ToList();
        Assert.Equal([403, 201], posts.Select(c => c.Status));
        // Retried by a Hangfire schedule once the limit reset (a second later at the earliest), not at once.
        Assert.True(posts[1].At - posts[0].At >= TimeSpan.FromSeconds(1), $"{posts[0].At:O} then {posts[1].At:O}");
        Assert.Contains(world.GitHub.Calls, c => c.Method == "PATCH" && c.Status == 500);
    }

    [Fact]
    public async Task PullRequestGoneFromGitHub_EndsTheReportQuietly()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(PullRequestGoneFromGitHub_EndsTheReportQuietly));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");
        await world.PullRequestAsync("opened", repository, Number, head, main);
        world.GitHub.DeletePullRequest(repository, Number);
        world.GitHub.Fail("*", $"/repos/{repository}/", GitHubFault.NotFound, times: 100);

        await world.RunQueuedJobsAsync(_ => 1.0);

        Assert.Empty(world.GitHub.Comments(repository, Number));
        Assert.Contains(world.GitHub.Calls, c => c.Status == 404);
        var monitoring = world.Server.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        Assert.Equal(0, monitoring.FailedCount());
        Assert.Equal(0, monitoring.ScheduledCount());
    }

    [Fact]
    public async Task AcceptedRegression_TurnsTheCheckGreen_WithWhoAcceptedIt()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(AcceptedRegression_TurnsTheCheckGreen_WithWhoAcceptedIt));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("exact sampling, slower");
        await world.PullRequestAsync("opened", repository, Number, slower, main);
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0);

        // A viewer cannot accept it: the server refuses, whatever the dashboard shows.
        using (var viewer = await world.Server.CreateClientAsync(PerfCiRoles.Viewer))
        {
            using var refused = await viewer.PostAsJsonAsync($"/api/pull-requests/{repository}/{Number}/accept", new { note = "not mine to accept" }, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using var accepted = await world.Http.PostAsJsonAsync($"/api/pull-requests/{repository}/{Number}/accept", new { note = "exact sampling is worth 10%" }, Ct);
        using var underAnotherName = await world.Http.PostAsJsonAsync($"/api/pull-requests/{repository}/{Number}/accept", new { by = "bob", note = "who?" }, Ct);
        await world.Server.WaitForBackgroundJobsAsync();

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.True((await accepted.Content.ReadFromJsonAsync<PullRequestView>(Ct))!.AcceptedForHead);
        Assert.Equal(HttpStatusCode.BadRequest, underAnotherName.StatusCode);
        var check = Assert.Single(world.GitHub.CheckRuns(repository));
        Assert.Equal(("completed", "success"), (check.Status, check.Conclusion));
        Assert.Contains($"accepted by {GitHubHarness.Ana}", check.Title, StringComparison.Ordinal);
        var comment = Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.Contains($"Accepted by {GitHubHarness.Ana}", comment.Body, StringComparison.Ordinal);
        Assert.Contains("exact sampling is worth 10%", comment.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("not mine to accept", comment.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithATokenInsteadOfAnApp_ACommitStatusReportsTheVerdict()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(WithATokenInsteadOfAnApp_ACommitStatusReportsTheVerdict), asApp: false);
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("a slower scheduler");

        await world.PullRequestAsync("opened", repository, Number, slower, main);
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0);

        Assert.Empty(world.GitHub.CheckRuns(repository));
        var statuses = world.GitHub.Statuses(repository);
        Assert.All(statuses, s => Assert.Equal((slower, PullRequestReportJob.StatusContext), (s.Sha, s.Context)));
        Assert.Equal("pending", statuses[0].State);
        Assert.Equal("failure", statuses[^1].State);
        Assert.StartsWith("❌ Regression", statuses[^1].Description, StringComparison.Ordinal);
        Assert.Single(world.GitHub.Comments(repository, Number));
        Assert.All(world.GitHub.Calls, c => Assert.Equal("token", c.Credential));
    }

    [Fact]
    public async Task AppWithoutTheChecksPermission_ReportsACommitStatusInstead()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(AppWithoutTheChecksPermission_ReportsACommitStatusInstead));
        world.GitHub.ChecksPermission = false;
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");

        await world.PullRequestAsync("opened", repository, Number, head, main);
        await world.RunQueuedJobsAsync(_ => 1.0);

        Assert.Empty(world.GitHub.CheckRuns(repository));
        Assert.Equal("success", world.GitHub.Statuses(repository)[^1].State);
        Assert.Contains(world.GitHub.Calls, c => c.Method == "POST" && c.Path.EndsWith("/check-runs", StringComparison.Ordinal) && c.Status == 403);
    }

    [Fact]
    public async Task CommentOnlyOnChange_StaysQuietWhenNothingChanged_AndSpeaksUpOnARegression()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(CommentOnlyOnChange_StaysQuietWhenNothingChanged_AndSpeaksUpOnARegression));
        var (repository, git, main) = await BenchmarkedMainAsync(world, new RepositorySettings { CommentPolicy = CommentPolicy.OnChange });
        git.Git("checkout", "--quiet", "-b", "feature");
        var same = git.Commit("a refactoring");
        await world.PullRequestAsync("opened", repository, Number, same, main);
        await world.RunQueuedJobsAsync(_ => 1.0);
        var quiet = world.GitHub.Comments(repository, Number).Count;

        var slower = git.Commit("a slower scheduler");
        await world.PullRequestAsync("synchronize", repository, Number, slower, main);
        await world.RunQueuedJobsAsync(sha => sha == slower ? 1.10 : 1.0);

        Assert.Equal(0, quiet);
        Assert.Equal("success", world.GitHub.CheckRuns(repository).Single(c => c.HeadSha == same).Conclusion);
        Assert.Contains("❌ Regression", Assert.Single(world.GitHub.Comments(repository, Number)).Body, StringComparison.Ordinal);
    }

    /// <summary>A repository whose main branch was pushed and benchmarked (six trials, 1% noise): the baseline of its pull requests.</summary>
    private static async Task<(string Repository, GitRepository Git, string Main)> BenchmarkedMainAsync(GitHubHarness world, RepositorySettings? settings = null)
    {
        var (repository, git, main) = await world.CreateRepositoryAsync("engine", settings);
        await world.PushAsync(repository, "main", new string('0', 40), main);
        Assert.Equal(1, await world.RunQueuedJobsAsync(_ => 1.0));
        return (repository, git, main);
    }

    private static async Task<long> PullRequestIdAsync(GitHubHarness world)
    {
        await using var db = world.Server.CreateDbContext();
        return await db.PullRequests.Select(p => p.Id).SingleAsync(Ct);
    }

    /// <summary>The states a check run went through, repeats of one state (several reports of it) counted once.</summary>
    private static List<string> Collapse(IReadOnlyList<string> history) =>
        [.. history.Where((state, i) => i == 0 || history[i - 1] != state)];
}
