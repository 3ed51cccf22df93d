using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;
using PerfCI.Server.GitHub;
using PerfCI.Server.Repositories;
using PerfCI.Server.Runners;
using PerfCI.Server.Runs;
using PerfCI.Testing;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Runners;
using PerfCI.Ui.Settings;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>
/// The actions the dashboard and the API share (re-run, runner tokens, revoke, repository settings,
/// triage, pull request decisions): each checks the user's role on the server, on real PostgreSQL.
/// </summary>
public sealed class DashboardActionsTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _base = null!;
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] BadLabels = ["ok", "not ok"];
    private static readonly string[] BadBranches = ["main", "bad branch"];
    private static readonly string[] GoodBranches = ["main", "release/1.x"];

    private const string Suites = """
        suites:
          - name: smoke
            runs-on: [nobody-has-this]
            engine:
              command: python -m engine --port {port}
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: tiny
                workload: { input-tokens: 8, output-tokens: 8 }
                concurrency: 1
        """;

    public ValueTask InitializeAsync()
    {
        _base = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Runners:ClaimWait"] = "00:00:01" });
        _server = _base;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _base.DisposeAsync();
    }

    /// <summary>An API client of the user <paramref name="name"/>@perfci.test with <paramref name="role"/> (the accounts' API token).</summary>
    private Task<HttpClient> ClientAsync(string name, string role) => _base.CreateClientAsync(role, $"{name}@perfci.test");

    private async Task<T> ServiceAsync<T>(Func<T, Task> use) where T : notnull
    {
        await using var scope = _server.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<T>();
        await use(service);
        return service;
    }

    private async Task<RegistrationTokenCreated> CreateTokenAsync(string name, params string[] labels)
    {
        using var admin = await ClientAsync("ada", PerfCiRoles.Admin);
        using var response = await admin.PostAsJsonAsync("/api/runner-tokens", new { name, labels, expiresHours = 2, serverUrl = "https://perfci.example/" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RegistrationTokenCreated>(Ct))!;
    }

    private async Task<(long Id, HttpClient Runner)> RegisterAsync(string name, string label)
    {
        var created = await CreateTokenAsync(name, label);
        var runner = _server.CreateClient();
        using var response = await runner.PostAsJsonAsync("/api/runners/register", new
        {
            token = created.Token, name, hardware = new HardwareFingerprint { CpuModel = "test-cpu", CpuCores = 2 },
        }, Ct);
        var registered = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterRunnerResponse>(Ct))!;
        runner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", registered.Credential);
        return (registered.Id, runner);
    }

    private async Task<long> RunOfRepositoryWithSuitesAsync(string owner, string name)
    {
        using var admin = await ClientAsync("ada", PerfCiRoles.Admin);
        using var created = await admin.PostAsJsonAsync("/api/repositories", new { owner, name, settings = new { suitesYaml = Suites } }, Ct);
        created.EnsureSuccessStatusCode();
        var jobId = await _base.QueueJobAsync($"{owner}/{name}", "nobody-has-this");
        await using var db = _base.CreateDbContext();
        return await db.Jobs.Where(j => j.Id == jobId).Select(j => j.RunId).SingleAsync(Ct);
    }

    [Fact]
    public async Task RunnerToken_IsShownOnceWithTheExactRegisterCommand_AndOnlyItsHashIsStored()
    {
        var created = await CreateTokenAsync("gpu-1", "h100");

        Assert.Equal($"perfci-runner register --server https://perfci.example --token {created.Token} --name gpu-1", created.RegisterCommand);
        await using var db = _base.CreateDbContext();
        var stored = await db.RegistrationTokens.AsNoTracking().SingleAsync(t => t.TokenHash == RunnerSecrets.Hash(created.Token), Ct);
        Assert.Equal("ada@perfci.test", stored.CreatedBy);
        Assert.Equal(["h100"], stored.Labels);
        Assert.DoesNotContain(created.Token, JsonSerializer.Serialize(stored), StringComparison.Ordinal);
        var (id, runner) = await RegisterAsync("gpu-2", "a100");
        var me = await runner.GetFromJsonAsync<RunnerDto>("/api/runners/me", Ct);
        Assert.Equal(id, me!.Id);
        Assert.Equal(["a100"], me.Labels);
    }

    [Fact]
    public async Task RunnerToken_IsAdminOnly_AndNamesTheBadField()
    {
        using var maintainer = await ClientAsync("mia", PerfCiRoles.Maintainer);
        using var admin = await ClientAsync("ada", PerfCiRoles.Admin);

        using var refused = await maintainer.PostAsJsonAsync("/api/runner-tokens", new { name = "x" }, Ct);
        using var badLabel = await admin.PostAsJsonAsync("/api/runner-tokens", new { labels = BadLabels }, Ct);
        using var badHours = await admin.PostAsJsonAsync("/api/runner-tokens", new { expiresHours = 0 }, Ct);
        using var badServer = await admin.PostAsJsonAsync("/api/runner-tokens", new { serverUrl = "ftp://x" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (badLabel.StatusCode, badHours.StatusCode, badServer.StatusCode));
        Assert.Contains("labels[1]", await badLabel.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("expiresHours", await badHours.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("serverUrl", await badServer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await using var db = _base.CreateDbContext();
        Assert.False(await db.RegistrationTokens.AnyAsync(t => t.CreatedBy == "mia@perfci.test", Ct));
    }

    [Fact]
    public async Task Revoke_MakesTheRunnerGet401_AndItsJobGoesBackToTheQueue()
    {
        var jobId = await _base.QueueJobAsync("acme/revoke", "revoke-me");
        var (runnerId, runner) = await RegisterAsync("doomed", "revoke-me");
        using var claim = await runner.PostAsync("/api/runners/claim", null, Ct);
        var claimed = await claim.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ClaimedJob>(Ct);
        using var viewer = await ClientAsync("vic", PerfCiRoles.Viewer);
        using var admin = await ClientAsync("ada", PerfCiRoles.Admin);

        using var refused = await viewer.PostAsync($"/api/runners/{runnerId}/revoke", null, Ct);
        using var stillIn = await runner.GetAsync("/api/runners/me", Ct);
        using var revoked = await admin.PostAsync($"/api/runners/{runnerId}/revoke", null, Ct);
        using var me = await runner.GetAsync("/api/runners/me", Ct);
        using var heartbeat = await runner.PostAsJsonAsync($"/api/runners/jobs/{jobId}/heartbeat", new { leaseToken = claimed!.LeaseToken }, Ct);
        using var missing = await admin.PostAsync("/api/runners/999999/revoke", null, Ct);
        await ServiceAsync<LeaseExpiryJob>(job => job.RunAsync(Ct));

        Assert.Equal(jobId, claimed.JobId);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.OK), (refused.StatusCode, stillIn.StatusCode, revoked.StatusCode));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound), (me.StatusCode, heartbeat.StatusCode, missing.StatusCode));
        await using var db = _base.CreateDbContext();
        Assert.Equal(RunnerState.Revoked, (await db.Runners.AsNoTracking().SingleAsync(r => r.Id == runnerId, Ct)).State);
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId, Ct);
        Assert.Equal((JobState.Queued, (long?)null), (job.State, job.RunnerId));
    }

    [Fact]
    public async Task Rerun_StartsANewRunOfTheSameCommit_ForAMaintainerOnly()
    {
        var runId = await RunOfRepositoryWithSuitesAsync("acme", "rerun");
        using var viewer = await ClientAsync("vic", PerfCiRoles.Viewer);
        using var maintainer = await ClientAsync("mia", PerfCiRoles.Maintainer);

        using var refused = await viewer.PostAsync($"/api/runs/{runId}/rerun", null, Ct);
        using var rerun = await maintainer.PostAsync($"/api/runs/{runId}/rerun", null, Ct);
        using var missing = await maintainer.PostAsync("/api/runs/999999/rerun", null, Ct);
        var view = await rerun.Content.ReadFromJsonAsync<RunView>(Ct);
        await _base.WaitForBackgroundJobsAsync();

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Accepted, HttpStatusCode.NotFound), (refused.StatusCode, rerun.StatusCode, missing.StatusCode));
        await using var db = _base.CreateDbContext();
        var old = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, Ct);
        var fresh = await db.Runs.AsNoTracking().Include(r => r.Jobs).SingleAsync(r => r.Id == view!.Id, Ct);
        Assert.NotEqual(runId, fresh.Id);
        Assert.Equal((old.CommitId, RunTrigger.Manual, "mia@perfci.test"), (fresh.CommitId, fresh.Trigger, fresh.RequestedBy));
        Assert.Equal(RunState.Queued, fresh.State);
        Assert.Single(fresh.Jobs);
        Assert.Equal(2, await db.Runs.CountAsync(r => r.CommitId == old.CommitId, Ct));
    }

    [Fact]
    public async Task RepositorySettings_NameEachBadField_AndSaveGoodOnes_ForAnAdminOnly()
    {
        await _base.CreateRepositoryAsync("acme", "settings");
        using var admin = await ClientAsync("ada", PerfCiRoles.Admin);
        using var maintainer = await ClientAsync("mia", PerfCiRoles.Maintainer);

        using var bad = await admin.PatchAsJsonAsync("/api/repositories/acme/settings", new
        {
            trackedBranches = BadBranches, commentPolicy = "sometimes", defaultThreshold = 1.5,
            metricThresholds = new Dictionary<string, double> { ["ttft_p99"] = -0.1 }, noDataAlertAfterCommits = 0,
        }, Ct);
        using var refused = await maintainer.PutAsJsonAsync("/api/repositories/acme/settings", new { defaultThreshold = 0.05 }, Ct);
        using var good = await admin.PutAsJsonAsync("/api/repositories/acme/settings", new
        {
            trackedBranches = GoodBranches, commentPolicy = "on_change", defaultThreshold = 0.05,
            metricThresholds = new Dictionary<string, double> { ["ttft_p99"] = 0.1 },
        }, Ct);
        using var partial = await admin.PatchAsJsonAsync("/api/repositories/acme/settings", new { approvalLabel = "bench-me" }, Ct);
        using var missing = await admin.PatchAsJsonAsync("/api/repositories/acme/nothing", new { approvalLabel = "x" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Equal(
            ["commentPolicy", "defaultThreshold", "metricThresholds.ttft_p99", "noDataAlertAfterCommits", "trackedBranches[1]"],
            errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound),
            (refused.StatusCode, good.StatusCode, partial.StatusCode, missing.StatusCode));
        await using var db = _base.CreateDbContext();
        var settings = (await db.Repositories.AsNoTracking().SingleAsync(r => r.Owner == "acme" && r.Name == "settings", Ct)).Settings;
        Assert.Equal(["main", "release/1.x"], settings.TrackedBranches);
        Assert.Equal((CommentPolicy.OnChange, 0.05, 0.1, "bench-me"), (settings.CommentPolicy, settings.DefaultThreshold, settings.MetricThresholds["ttft_p99"], settings.ApprovalLabel));
    }

    [Fact]
    public async Task ActionServices_RefuseUsersWithoutTheRole_AndChangeNothing()
    {
        var runId = await RunOfRepositoryWithSuitesAsync("acme", "refuse");
        var viewer = TestUsers.Principal("vic", PerfCiRoles.Viewer);
        var maintainer = TestUsers.Principal("mia", PerfCiRoles.Maintainer);
        var outcomes = new List<ActionStatus>();

        await ServiceAsync<RunActions>(async s =>
        {
            outcomes.Add((await s.CancelAsync(viewer, runId, Ct)).Status);
            outcomes.Add((await s.RerunAsync(viewer, runId, Ct)).Status);
            outcomes.Add((await s.RerunAsync(TestUsers.Anonymous, runId, Ct)).Status);
        });
        await ServiceAsync<AlertTriage>(async s =>
        {
            outcomes.Add((await s.TriageAlertAsync(viewer, 1, AlertState.Acknowledged, null, Ct)).Status);
            outcomes.Add((await s.TriageGroupAsync(viewer, 1, AlertState.Invalid, null, Ct)).Status);
            outcomes.Add((await s.AcceptStepAsync(viewer, 1, null, Ct)).Status);
        });
        await ServiceAsync<PullRequestDecisions>(async s =>
        {
            outcomes.Add((await s.ApproveAsync(viewer, "acme", "refuse", 1, Ct)).Status);
            outcomes.Add((await s.AcknowledgeRegressionAsync(viewer, "acme", "refuse", 1, "fine", Ct)).Status);
        });
        await ServiceAsync<RunnerAdministration>(async s =>
        {
            outcomes.Add((await s.CreateRegistrationTokenAsync(maintainer, "https://perfci.example", null, [], TimeSpan.FromHours(1), Ct)).Status);
            outcomes.Add((await s.RevokeAsync(maintainer, 1, Ct)).Status);
        });
        await ServiceAsync<RepositoryAdministration>(async s =>
        {
            outcomes.Add((await s.AddAsync(maintainer, new NewRepository("acme", "sneaky", null, null), Ct)).Status);
            outcomes.Add((await s.UpdateSettingsAsync(maintainer, "acme", "refuse", new RepositorySettings { DefaultThreshold = 0.5 }, Ct)).Status);
        });

        Assert.All(outcomes, status => Assert.Equal(ActionStatus.Forbidden, status));
        Assert.Equal(12, outcomes.Count);
        await using var db = _base.CreateDbContext();
        Assert.Equal(RunState.Queued, (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId, Ct)).State);
        Assert.Equal(1, await db.Runs.CountAsync(r => r.Repository.Name == "refuse", Ct));
        Assert.False(await db.Repositories.AnyAsync(r => r.Name == "sneaky", Ct));
        Assert.Equal(0.03, (await db.Repositories.AsNoTracking().SingleAsync(r => r.Name == "refuse", Ct)).Settings.DefaultThreshold);
        Assert.False(await db.RegistrationTokens.AnyAsync(t => t.CreatedBy == "mia@perfci.test", Ct));
    }

    [Fact]
    public async Task PullRequestDecisions_ByAMaintainer_ApproveAForkAndAcknowledgeItsRegression()
    {
        await RunOfRepositoryWithSuitesAsync("acme", "decide");
        await using (var db = _base.CreateDbContext())
        {
            var repository = await db.Repositories.SingleAsync(r => r.Name == "decide", Ct);
            db.PullRequests.Add(new PullRequest
            {
                RepositoryId = repository.Id, Number = 7, Title = "Faster sampler", Author = "outsider", State = PullRequestState.Open,
                HeadSha = new string('a', 40), HeadRepositoryFullName = "outsider/decide", BaseRef = "main", BaseSha = new string('b', 40),
                RequiresApproval = true, UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(Ct);
        }
        var maintainer = TestUsers.Principal("mia", PerfCiRoles.Maintainer);
        ActionOutcome<bool>? approved = null, acknowledged = null, tooLong = null, missing = null;

        await ServiceAsync<PullRequestDecisions>(async s =>
        {
            approved = await s.ApproveAsync(maintainer, "acme", "decide", 7, Ct);
            acknowledged = await s.AcknowledgeRegressionAsync(maintainer, "acme", "decide", 7, "exact sampling is worth it", Ct);
            tooLong = await s.AcknowledgeRegressionAsync(maintainer, "acme", "decide", 7, new string('x', 2001), Ct);
            missing = await s.ApproveAsync(maintainer, "acme", "decide", 8, Ct);
        });
        await _base.WaitForBackgroundJobsAsync();

        Assert.Equal((ActionStatus.Done, ActionStatus.Done, ActionStatus.Invalid, ActionStatus.NotFound), (approved!.Status, acknowledged!.Status, tooLong!.Status, missing!.Status));
        Assert.Equal(["note"], tooLong.Errors!.Keys);
        await using var check = _base.CreateDbContext();
        var pullRequest = await check.PullRequests.AsNoTracking().SingleAsync(p => p.Number == 7 && p.Repository.Name == "decide", Ct);
        Assert.Equal(("mia", "mia", "exact sampling is worth it", pullRequest.HeadSha), (pullRequest.ApprovedBy, pullRequest.AcceptedBy, pullRequest.AcceptedNote, pullRequest.AcceptedHeadSha));
        var run = await check.Runs.AsNoTracking().Include(r => r.Jobs).SingleAsync(r => r.PullRequestId == pullRequest.Id, Ct);
        Assert.Equal((RunTrigger.PullRequest, "mia", RunState.Queued, 1), (run.Trigger, run.RequestedBy, run.State, run.Jobs.Count));
    }
}
