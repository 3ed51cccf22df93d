using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.GitHub;

/// <summary>
/// POST /api/github/webhook with bodies shaped as GitHub sends them: the signature first, the delivery
/// id for redeliveries, each event handed to Hangfire and turned into commits, runs and pull requests.
/// </summary>
public sealed class WebhookTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Delivery_WithABadOrMissingSignature_Is401_AndNothingIsStored()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(Delivery_WithABadOrMissingSignature_Is401_AndNothingIsStored));
        var (repository, _, sha) = await world.CreateRepositoryAsync("signed");
        var body = GitHubWebhooks.Push(repository, "main", new string('0', 40), [new PushedCommit(sha)]);

        using var wrongSecret = await world.DeliverAsync("push", body, secret: "not the secret");
        using var unsigned = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(body) };
        unsigned.Headers.Add("X-GitHub-Event", "push");
        unsigned.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        using var missing = await world.Http.SendAsync(unsigned, Ct);
        await world.Server.WaitForBackgroundJobsAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("X-Hub-Signature-256", await wrongSecret.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await using var db = world.Server.CreateDbContext();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync(Ct));
        Assert.Equal(0, await db.Runs.CountAsync(Ct));
    }

    [Fact]
    public async Task BodyChangedAfterSigning_Is401()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(BodyChangedAfterSigning_Is401));
        var body = GitHubWebhooks.Ping("acme/anything");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(body + " ") };
        request.Headers.Add("X-GitHub-Event", "ping");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", GitHubWebhooks.Sign(GitHubHarness.Secret, body));

        using var response = await world.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await using var db = world.Server.CreateDbContext();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync(Ct));
    }

    [Fact]
    public async Task SameDelivery_Twice_MakesOneRun_AndTheRedeliveryIsANoOp()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(SameDelivery_Twice_MakesOneRun_AndTheRedeliveryIsANoOp));
        var (repository, _, sha) = await world.CreateRepositoryAsync("redelivered");
        var body = GitHubWebhooks.Push(repository, "main", new string('0', 40), [new PushedCommit(sha)]);
        var delivery = Guid.NewGuid().ToString();

        using var first = await world.DeliverAsync("push", body, delivery);
        await world.Server.WaitForBackgroundJobsAsync();
        using var again = await world.DeliverAsync("push", body, delivery);
        await world.Server.WaitForBackgroundJobsAsync();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("duplicate", (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("outcome").GetString());
        await using var db = world.Server.CreateDbContext();
        var run = Assert.Single(await db.Runs.Include(r => r.Commit).ToListAsync(Ct));
        Assert.Equal((sha, RunTrigger.Push, RunState.Queued), (run.Commit.Sha, run.Trigger, run.State));
        var stored = Assert.Single(await db.WebhookDeliveries.ToListAsync(Ct));
        Assert.Equal((delivery, "push", repository), (stored.DeliveryId, stored.Event, stored.RepositoryFullName));
        Assert.NotNull(stored.ProcessedAt);
    }

    [Fact]
    public async Task Ping_IsAnswered_AndAnEventPerfCiDoesNotHandle_Is204()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(Ping_IsAnswered_AndAnEventPerfCiDoesNotHandle_Is204));

        using var ping = await world.DeliverAsync("ping", GitHubWebhooks.Ping("acme/engine"));
        using var issues = await world.DeliverAsync("issues", """{ "action": "opened", "issue": { "number": 1 } }""");
        using var assigned = await world.DeliverAsync("pull_request", """{ "action": "assigned", "number": 1 }""");

        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("pong", (await ping.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.NoContent, issues.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
    }

    [Fact]
    public async Task MalformedJson_OrAMissingField_Is400_NamingTheField()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(MalformedJson_OrAMissingField_Is400_NamingTheField));
        var good = GitHubWebhooks.PullRequest("opened", "acme/engine", 7, new string('a', 40), new string('b', 40));
        var noHeadSha = JsonNode(good, pull => pull["pull_request"]!["head"]!.AsObject().Remove("sha"));
        var badNumber = JsonNode(good, pull => pull["number"] = "seven");

        using var malformed = await world.DeliverAsync("pull_request", "{ \"action\": \"opened\", ");
        using var missing = await world.DeliverAsync("pull_request", noHeadSha);
        using var wrongType = await world.DeliverAsync("pull_request", badNumber);
        using var noDeliveryId = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhook") { Content = new StringContent(good) };
        noDeliveryId.Headers.Add("X-GitHub-Event", "pull_request");
        noDeliveryId.Headers.Add("X-Hub-Signature-256", GitHubWebhooks.Sign(GitHubHarness.Secret, good));
        using var withoutId = await world.Http.SendAsync(noDeliveryId, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("Malformed JSON", await malformed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True(Errors(await missing.Content.ReadAsStringAsync(Ct)).ContainsKey("pull_request.head.sha"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.True(Errors(await wrongType.Content.ReadAsStringAsync(Ct)).ContainsKey("number"));
        Assert.Equal(HttpStatusCode.BadRequest, withoutId.StatusCode);
        Assert.True(Errors(await withoutId.Content.ReadAsStringAsync(Ct)).ContainsKey("X-GitHub-Delivery"));
        await using var db = world.Server.CreateDbContext();
        Assert.Equal(0, await db.WebhookDeliveries.CountAsync(Ct));
    }

    [Fact]
    public async Task PushToMain_RecordsCommitsWithParentsInFirstParentOrder_AndRunsOnlyTheHead()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(PushToMain_RecordsCommitsWithParentsInFirstParentOrder_AndRunsOnlyTheHead));
        var (repository, git, first) = await world.CreateRepositoryAsync("history");
        var second = git.Commit("second");
        var third = git.Commit("third");

        await world.PushAsync(repository, "main", first, second, third);

        await using var db = world.Server.CreateDbContext();
        var commits = await db.Commits.OrderBy(c => c.FirstParentPosition).ToListAsync(Ct);
        Assert.Equal([first, second, third], commits.Select(c => c.Sha));
        Assert.Equal([0, 1, 2], commits.Select(c => c.FirstParentPosition ?? -1));
        Assert.Equal([[], [first], [second]], commits.Select(c => c.ParentShas));
        Assert.Equal("third", commits[2].Message);
        var run = Assert.Single(await db.Runs.Include(r => r.Commit).ToListAsync(Ct));
        Assert.Equal(third, run.Commit.Sha);
        Assert.Equal(FakeGitHub.InstallationId, (await db.Repositories.SingleAsync(Ct)).GitHubInstallationId);
    }

    [Fact]
    public async Task Push_WhenEveryCommitIsBenchmarked_RunsEachPushedCommit_AndAnUntrackedBranchRunsNothing()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(Push_WhenEveryCommitIsBenchmarked_RunsEachPushedCommit_AndAnUntrackedBranchRunsNothing));
        var (repository, git, first) = await world.CreateRepositoryAsync("every", new RepositorySettings { BenchmarkEveryPushedCommit = true, TrackedBranches = ["main", "release"] });
        var second = git.Commit("second");
        var third = git.Commit("third");
        git.Git("checkout", "--quiet", "-b", "release");
        var fix = git.Commit("release fix");
        git.Git("checkout", "--quiet", "-b", "experiment");
        var experiment = git.Commit("an experiment");

        await world.PushAsync(repository, "main", first, second, third);
        await world.PushAsync(repository, "release", third, fix);
        await world.PushAsync(repository, "experiment", fix, experiment);

        await using var db = world.Server.CreateDbContext();
        var runs = await db.Runs.OrderBy(r => r.Id).Select(r => r.Commit.Sha).ToListAsync(Ct);
        Assert.Equal([second, third, fix], runs);
        var recordedFix = await db.Commits.SingleAsync(c => c.Sha == fix, Ct);
        Assert.Equal([third], recordedFix.ParentShas);
        Assert.Null(recordedFix.FirstParentPosition);
        Assert.False(await db.Commits.AnyAsync(c => c.Sha == experiment, Ct));
    }

    [Fact]
    public async Task PullRequestClosed_CancelsItsQueuedJobs()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(PullRequestClosed_CancelsItsQueuedJobs));
        var (repository, git, main) = await world.CreateRepositoryAsync("closing");
        git.Git("checkout", "--quiet", "-b", "feature");
        var head = git.Commit("faster decoding");
        await world.PullRequestAsync("opened", repository, 3, head, main);

        await world.PullRequestAsync("closed", repository, 3, head, main);

        await using var db = world.Server.CreateDbContext();
        var pullRequest = await db.PullRequests.SingleAsync(Ct);
        Assert.Equal((PullRequestState.Closed, main), (pullRequest.State, pullRequest.MergeBaseSha));
        var run = await db.Runs.Include(r => r.Jobs).SingleAsync(Ct);
        Assert.Equal((RunTrigger.PullRequest, RunState.Cancelled), (run.Trigger, run.State));
        Assert.All(run.Jobs, job => Assert.Equal(JobState.Cancelled, job.State));
        Assert.NotEmpty(run.Jobs);
    }

    [Fact]
    public async Task AppInstallation_RegistersItsRepositories_AndLinksOnesAlreadyRegistered()
    {
        await using var world = await GitHubHarness.StartAsync(nameof(AppInstallation_RegistersItsRepositories_AndLinksOnesAlreadyRegistered));
        var (existing, _, _) = await world.CreateRepositoryAsync("known");

        using var created = await world.DeliverAsync("installation", GitHubWebhooks.Installation("created", 99, FakeGitHub.AppId, "acme", existing, "acme/fresh"));
        await world.Server.WaitForBackgroundJobsAsync();
        using var removed = await world.DeliverAsync("installation_repositories", GitHubWebhooks.InstallationRepositories("removed", 99, FakeGitHub.AppId, "acme", [], ["acme/fresh"]));
        await world.Server.WaitForBackgroundJobsAsync();

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, removed.StatusCode);
        await using var db = world.Server.CreateDbContext();
        var repositories = await db.Repositories.OrderBy(r => r.Name).ToListAsync(Ct);
        Assert.Equal(["fresh", "known"], repositories.Select(r => r.Name));
        Assert.Equal((long?)null, repositories[0].GitHubInstallationId);
        Assert.Equal(99, repositories[1].GitHubInstallationId);
        // The fake's API root is a local address: the clone URL follows that host, as for an Enterprise Server.
        Assert.Equal($"http://{world.GitHub.ApiBaseUrl.Authority}/acme/fresh.git", repositories[0].CloneUrl);
        Assert.Contains(world.TempPath, repositories[1].CloneUrl, StringComparison.Ordinal);
    }

    private static string JsonNode(string json, Action<System.Text.Json.Nodes.JsonNode> change)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        change(node);
        return node.ToJsonString();
    }

    private static Dictionary<string, string[]> Errors(string problem) =>
        JsonSerializer.Deserialize<JsonElement>(problem).GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
}
