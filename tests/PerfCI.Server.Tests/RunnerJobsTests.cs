using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

/// <summary>A runner holding a job: heartbeats, the upload and the end, each fenced by the lease.</summary>
public sealed class RunnerJobsTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Runners:ClaimWait"] = "00:00:01" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static string Results(double ttft = 42) => ResultDocumentJson.Serialize(new ResultDocument
    {
        Source = new ResultSource("perfci-bench"),
        Scenarios = [new ScenarioResult { Name = "chat", Concurrency = 4, Metrics = [MetricCatalog.Samples("ttft_p50", ttft, ttft + 1, ttft - 1)] }],
    });

    private async Task<(long RunnerId, HttpClient Runner, ClaimedJob Job)> ClaimAsync(string name, string label)
    {
        var (id, runner) = await _server.RegisterRunnerAsync(name, label);
        using var response = await runner.PostAsync("/api/runners/claim", null, Ct);
        var job = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ClaimedJob>(Ct);
        return (id, runner, job!);
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient runner, ClaimedJob job, string body, Guid? lease = null) =>
        runner.PostAsync($"/api/runners/jobs/{job.JobId}/results?lease={lease ?? job.LeaseToken}", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

    [Fact]
    public async Task Heartbeat_ExtendsTheLease_CarriesCancel_AndRefusesAStaleToken()
    {
        await _server.QueueJobAsync("acme/heartbeat", "hb");
        var (_, runner, job) = await ClaimAsync("hb-runner", "hb");

        using var first = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/heartbeat", new { leaseToken = job.LeaseToken }, Ct);
        await using (var db = _server.CreateDbContext())
            await db.Jobs.Where(j => j.Id == job.JobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.CancelRequested, true), Ct);
        using var cancelled = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/heartbeat", new { leaseToken = job.LeaseToken }, Ct);
        using var stale = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/heartbeat", new { leaseToken = Guid.NewGuid() }, Ct);

        var beat = await first.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<HeartbeatResponse>(Ct);
        Assert.False(beat!.Cancel);
        Assert.True(beat.LeaseExpiresAt >= job.LeaseExpiresAt);
        Assert.Equal((TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2)), (job.LeaseDuration, beat.LeaseDuration)); // the runner's own clock tells when a lease it could not renew is gone
        Assert.True((await cancelled.Content.ReadFromJsonAsync<HeartbeatResponse>(Ct))!.Cancel);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("Stale lease", (await stale.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Upload_IsStoredOncePerAttempt_AndBadUploadsChangeNothing()
    {
        await _server.QueueJobAsync("acme/upload", "up");
        var (_, runner, job) = await ClaimAsync("up-runner", "up");
        using var stranger = _server.CreateClient();
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunnerSecrets.NewCredential());

        using var malformed = await UploadAsync(runner, job, Results().Replace("\"concurrency\": 4", "\"concurrency\": 0", StringComparison.Ordinal));
        using var staleLease = await UploadAsync(runner, job, Results(), Guid.NewGuid());
        using var wrongCredential = await stranger.PostAsync($"/api/runners/jobs/{job.JobId}/results?lease={job.LeaseToken}", new StringContent(Results(), Encoding.UTF8, "application/json"), Ct);
        using var first = await UploadAsync(runner, job, Results());
        using var replay = await UploadAsync(runner, job, Results(99));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.True((await malformed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("scenarios[0].concurrency", out _));
        Assert.Equal(HttpStatusCode.Conflict, staleLease.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongCredential.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        await using var db = _server.CreateDbContext();
        Assert.Equal(1, await db.JobResults.CountAsync(r => r.JobId == job.JobId, Ct));
        var samples = await db.Measurements.Where(m => m.JobId == job.JobId).Select(m => m.Samples).SingleAsync(Ct);
        Assert.Equal([42.0, 43, 41], samples);
    }

    [Fact]
    public async Task Logs_AreAppendedOnce_PerSequence_AndReadableAfterASequence()
    {
        await _server.QueueJobAsync("acme/logs", "log");
        var (_, runner, job) = await ClaimAsync("log-runner", "log");
        var url = $"/api/runners/jobs/{job.JobId}/logs?lease={job.LeaseToken}";

        using var first = await runner.PostAsJsonAsync(url, new[] { new LogChunk(0, "cloning\n"), new LogChunk(1, "building\n") }, Ct);
        using var retried = await runner.PostAsJsonAsync(url, new[] { new LogChunk(1, "building\n"), new LogChunk(2, "engine ready\n") }, Ct);
        using var stale = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/logs?lease={Guid.NewGuid()}", new[] { new LogChunk(3, "x") }, Ct);
        using var reader = _server.CreateClient();
        var all = await reader.GetFromJsonAsync<JobLog>($"/api/jobs/{job.JobId}/logs", Ct);
        var tail = await reader.GetFromJsonAsync<JobLog>($"/api/jobs/{job.JobId}/logs?after=1", Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict), (first.StatusCode, retried.StatusCode, stale.StatusCode));
        Assert.Equal("cloning\nbuilding\nengine ready\n", string.Concat(all!.Chunks.Select(c => c.Text)));
        Assert.Equal([2], tail!.Chunks.Select(c => c.Sequence));
    }

    [Fact]
    public async Task CancellingARun_CancelsItsQueuedJobs_AndTellsTheRunnerAtItsNextHeartbeat()
    {
        await _server.QueueJobAsync("acme/cancel", "cancel");
        var (_, runner, job) = await ClaimAsync("cancel-runner", "cancel");
        var queuedJob = await _server.QueueJobAsync("acme/cancel-queued", "nobody-has-this");
        long queuedRun;
        await using (var db = _server.CreateDbContext())
            queuedRun = await db.Jobs.Where(j => j.Id == queuedJob).Select(j => j.RunId).SingleAsync(Ct);
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);

        using var cancelRunning = await client.PostAsync($"/api/runs/{job.RunId}/cancel", null, Ct);
        using var cancelQueued = await client.PostAsync($"/api/runs/{queuedRun}/cancel", null, Ct);
        using var beat = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/heartbeat", new { leaseToken = job.LeaseToken }, Ct);
        var cancel = (await beat.Content.ReadFromJsonAsync<HeartbeatResponse>(Ct))!.Cancel;
        using var done = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/complete", new { leaseToken = job.LeaseToken, succeeded = false, error = "cancelled" }, Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (cancelRunning.StatusCode, cancelQueued.StatusCode, done.StatusCode));
        Assert.True(cancel);
        await using var check = _server.CreateDbContext();
        Assert.Equal(JobState.Cancelled, (await check.Jobs.AsNoTracking().SingleAsync(j => j.Id == queuedJob, Ct)).State);
        Assert.Equal(RunState.Cancelled, (await check.Runs.AsNoTracking().SingleAsync(r => r.Id == queuedRun, Ct)).State);
        var stopped = await check.Jobs.AsNoTracking().Include(j => j.Run).SingleAsync(j => j.Id == job.JobId, Ct);
        Assert.Equal((JobState.Cancelled, RunState.Cancelled), (stopped.State, stopped.Run.State));
    }

    [Fact]
    public async Task Complete_EndsTheJobAndItsRun_AndTheRunnerIsIdleAgain()
    {
        await _server.QueueJobAsync("acme/complete", "done");
        var (runnerId, runner, job) = await ClaimAsync("done-runner", "done");

        using var failed = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/complete",
            new { leaseToken = job.LeaseToken, succeeded = false, error = "the engine exited with code 1 before it was ready", engineLogTail = "CUDA out of memory" }, Ct);
        using var again = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/complete", new { leaseToken = job.LeaseToken, succeeded = true }, Ct);

        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        await using var db = _server.CreateDbContext();
        var stored = await db.Jobs.AsNoTracking().Include(j => j.Run).SingleAsync(j => j.Id == job.JobId, Ct);
        Assert.Equal((JobState.Failed, "CUDA out of memory", RunState.Failed), (stored.State, stored.EngineLogTail, stored.Run.State));
        Assert.Equal(RunnerState.Idle, (await db.Runners.AsNoTracking().SingleAsync(r => r.Id == runnerId, Ct)).State);
    }

    [Fact]
    public async Task ExpiredLease_RequeuesTheJobForAnotherRunner_RefusesTheFirstRunnersLateUpload_ThenFailsAfterTheLastAttempt()
    {
        var jobId = await _server.QueueJobAsync("acme/expiry", "exp");
        var (_, crashed, firstClaim) = await ClaimAsync("crashed-runner", "exp");
        await ExpireLeaseAsync(jobId);
        await RunLeaseExpiryAsync();
        var (_, _, secondClaim) = await ClaimAsync("second-runner", "exp");

        using var lateUpload = await UploadAsync(crashed, firstClaim, Results());

        Assert.Equal((jobId, 1, 2), (secondClaim.JobId, firstClaim.Attempt, secondClaim.Attempt));
        Assert.Equal(HttpStatusCode.Conflict, lateUpload.StatusCode);
        Assert.Contains("Stale lease", await lateUpload.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await using (var db = _server.CreateDbContext())
            await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.MaxAttempts, 2), Ct);
        await ExpireLeaseAsync(jobId); // the second runner dies too, before uploading
        await RunLeaseExpiryAsync();
        await using var check = _server.CreateDbContext();
        var failed = await check.Jobs.AsNoTracking().Include(j => j.Run).SingleAsync(j => j.Id == jobId, Ct);
        Assert.Equal((JobState.Failed, RunState.Failed), (failed.State, failed.Run.State));
        Assert.Equal("The lease expired on attempt 2 of 2: the runner stopped heartbeating (crashed, killed or cut off).", failed.Error);
        Assert.Equal(0, await check.JobResults.CountAsync(r => r.JobId == jobId, Ct));
    }

    [Fact]
    public async Task ExpiredLease_OfAJobWhoseRunnerUploadedThenDied_EndsTheJobAndItsRunAsSucceeded_InsteadOfRunningItAgain()
    {
        var jobId = await _server.QueueJobAsync("acme/died-after-upload", "dau");
        var (runnerId, died, claim) = await ClaimAsync("died-after-upload", "dau");
        using (var upload = await UploadAsync(died, claim, Results(ttft: 40)))
            upload.EnsureSuccessStatusCode();
        await ExpireLeaseAsync(jobId); // it died before /complete

        await RunLeaseExpiryAsync();
        var (_, other) = await _server.RegisterRunnerAsync("after-the-dead-one", "dau");
        using var nextClaim = await other.PostAsync("/api/runners/claim", null, Ct);
        using var lateComplete = await died.PostAsJsonAsync($"/api/runners/jobs/{jobId}/complete", new { leaseToken = claim.LeaseToken, succeeded = true }, Ct);

        Assert.Equal(HttpStatusCode.NoContent, nextClaim.StatusCode); // nothing queued again
        Assert.Equal(HttpStatusCode.Conflict, lateComplete.StatusCode);
        await using var db = _server.CreateDbContext();
        var job = await db.Jobs.AsNoTracking().Include(j => j.Run).SingleAsync(j => j.Id == jobId, Ct);
        Assert.Equal((JobState.Succeeded, 1, runnerId, null), (job.State, job.Attempt, job.RunnerId, job.Error));
        Assert.Equal((null, null), (job.LeaseToken, job.LeaseExpiresAt));
        Assert.NotNull(job.FinishedAt);
        Assert.Equal(RunState.Succeeded, job.Run.State);
        Assert.NotNull(job.Run.FinishedAt);
        Assert.Equal(1, Assert.Single(await db.JobResults.Where(r => r.JobId == jobId).Select(r => r.Attempt).ToListAsync(Ct)));
        Assert.Equal(40, Assert.Single(await db.Measurements.Where(m => m.JobId == jobId).Select(m => m.Median).ToListAsync(Ct)));
    }

    private async Task ExpireLeaseAsync(long jobId)
    {
        await using var db = _server.CreateDbContext();
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.LeaseExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)), Ct);
    }

    private async Task RunLeaseExpiryAsync()
    {
        await using var scope = _server.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LeaseExpiryJob>().RunAsync(Ct);
    }
}
