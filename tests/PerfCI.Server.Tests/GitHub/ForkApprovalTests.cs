using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Server.GitHub;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.GitHub;

/// <summary>
/// A pull request's code runs on the runners, so one from a fork (or from an author without write
/// access) is benchmarked only once a maintainer approves it: the configured label, or the approve
/// endpoint behind the dashboard's button. Until then its check run says it waits.
/// </summary>
public sealed class ForkApprovalTests
{
    private const int Number = 31;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ForkPullRequest_IsNotRunUntilApprovedWithTheLabel_ThenRunsAndIsReported()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(ForkPullRequest_IsNotRunUntilApprovedWithTheLabel_ThenRunsAndIsReported));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "from-fork");
        var head = git.Commit("a contribution");

        await world.PullRequestAsync("opened", repository, Number, head, main, headRepository: "mallory/engine", authorAssociation: "FIRST_TIME_CONTRIBUTOR");
        var ranBeforeApproval = await world.RunQueuedJobsAsync(_ => 1.0);
        var waiting = Assert.Single(world.GitHub.CheckRuns(repository));
        await using (var db = world.Server.CreateDbContext())
            Assert.False(await db.Runs.AnyAsync(r => r.PullRequestId != null, Ct));
        await world.PullRequestAsync("labeled", repository, Number, head, main, headRepository: "mallory/engine", authorAssociation: "FIRST_TIME_CONTRIBUTOR",
            label: "perfci:run", sender: "maintainer");
        var ranAfterApproval = await world.RunQueuedJobsAsync(_ => 1.0);

        Assert.Equal((0, 1), (ranBeforeApproval, ranAfterApproval));
        Assert.Equal(("queued", "Waiting for a maintainer's approval"), (waiting.Status, waiting.Title));
        Assert.Contains("`perfci:run`", waiting.Summary, StringComparison.Ordinal);
        var check = Assert.Single(world.GitHub.CheckRuns(repository));
        Assert.Equal((waiting.Id, "completed", "success"), (check.Id, check.Status, check.Conclusion));
        Assert.Contains("No significant change", Assert.Single(world.GitHub.Comments(repository, Number)).Body, StringComparison.Ordinal);
        var view = await world.Http.GetFromJsonAsync<PullRequestView>($"/api/pull-requests/{repository}/{Number}", Ct);
        Assert.Equal((true, "maintainer", "mallory/engine"), (view!.RequiresApproval, view.ApprovedBy, view.HeadRepository));
    }

    [Fact]
    public async Task AuthorWithoutWriteAccess_WaitsToo_AndTheApproveEndpointRunsIt()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(AuthorWithoutWriteAccess_WaitsToo_AndTheApproveEndpointRunsIt));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "contribution");
        var head = git.Commit("a contribution");
        await world.PullRequestAsync("opened", repository, Number, head, main, authorAssociation: "CONTRIBUTOR");
        var ranBeforeApproval = await world.RunQueuedJobsAsync(_ => 1.0);

        using var underAnotherName = await world.Http.PostAsJsonAsync($"/api/pull-requests/{repository}/{Number}/approve", new { by = "bob" }, Ct);
        using var approved = await world.Http.PostAsJsonAsync($"/api/pull-requests/{repository}/{Number}/approve", new { }, Ct);
        await world.Server.WaitForBackgroundJobsAsync();
        var ranAfterApproval = await world.RunQueuedJobsAsync(_ => 1.0);

        Assert.Equal((0, 1), (ranBeforeApproval, ranAfterApproval));
        Assert.Equal(HttpStatusCode.BadRequest, underAnotherName.StatusCode);
        Assert.Contains("\"by\"", await underAnotherName.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var view = (await approved.Content.ReadFromJsonAsync<PullRequestView>(Ct))!;
        Assert.Equal((GitHubHarness.Ana, 1), (view.ApprovedBy, view.Runs.Count));
        Assert.Equal(("completed", "success"), (world.GitHub.CheckRuns(repository).Single().Status, world.GitHub.CheckRuns(repository).Single().Conclusion));
    }

    [Fact]
    public async Task MembersPullRequestFromTheRepository_RunsWithoutApproval_AndAnotherLabelApprovesNothing()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(MembersPullRequestFromTheRepository_RunsWithoutApproval_AndAnotherLabelApprovesNothing));
        var (repository, git, main) = await BenchmarkedMainAsync(world);
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("a change");
        git.Git("checkout", "--quiet", "-b", "fork-branch");
        var forkHead = git.Commit("a fork's change");

        await world.PullRequestAsync("opened", repository, Number, head, main, authorAssociation: "MEMBER");
        await world.PullRequestAsync("opened", repository, Number + 1, forkHead, main, headRepository: "mallory/engine", authorAssociation: "NONE");
        await world.PullRequestAsync("labeled", repository, Number + 1, forkHead, main, headRepository: "mallory/engine", authorAssociation: "NONE", label: "bug", sender: "maintainer");
        var ran = await world.RunQueuedJobsAsync(_ => 1.0);

        Assert.Equal(1, ran);
        await using var db = world.Server.CreateDbContext();
        Assert.Equal([Number], await db.Runs.Where(r => r.PullRequest != null).Select(r => r.PullRequest!.Number).ToListAsync(Ct));
        Assert.Null(await db.PullRequests.Where(p => p.Number == Number + 1).Select(p => p.ApprovedBy).SingleAsync(Ct));
    }

    private static async Task<(string Repository, GitRepository Git, string Main)> BenchmarkedMainAsync(GitHubHarness world)
    {
        var (repository, git, main) = await world.CreateRepositoryAsync("engine");
        await world.PushAsync(repository, "main", new string('0', 40), main);
        await world.RunQueuedJobsAsync(_ => 1.0);
        return (repository, git, main);
    }
}
