using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

public sealed class JobClaimTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Runners:ClaimWait"] = "00:00:01" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static async Task<ClaimedJob?> ClaimAsync(HttpClient runner)
    {
        using var response = await runner.PostAsync("/api/runners/claim", null, Ct);
        return response.StatusCode == HttpStatusCode.NoContent ? null : (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ClaimedJob>(Ct))!;
    }

    [Fact]
    public async Task Claim_ReturnsNoContent_WhenTheQueueHasNothingForTheRunner()
    {
        var (_, runner) = await _server.RegisterRunnerAsync("idle-runner", "nothing-needs-me");
        await _server.QueueJobAsync("acme/labels", "label-no-runner-has");

        var started = Stopwatch.StartNew();
        var job = await ClaimAsync(runner);

        Assert.Null(job);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        await using var db = _server.CreateDbContext();
        Assert.True(await db.Jobs.AnyAsync(j => j.RequiredLabels.Contains("label-no-runner-has") && j.State == JobState.Queued, Ct));
    }

    [Fact]
    public async Task Claim_HandsOutTheJob_UnderALease()
    {
        var jobId = await _server.QueueJobAsync("acme/lease", "gpu", "h100");
        var (runnerId, runner) = await _server.RegisterRunnerAsync("h100-runner", "gpu", "h100", "big");

        var job = await ClaimAsync(runner);

        Assert.NotNull(job);
        Assert.Equal((jobId, 1), (job.JobId, job.Attempt));
        Assert.Equal("https://github.com/acme/lease.git", job.CloneUrl);
        Assert.Equal(40, job.CommitSha.Length);
        await using var db = _server.CreateDbContext();
        var stored = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId, Ct);
        Assert.Equal((JobState.Running, runnerId, job.LeaseToken), (stored.State, stored.RunnerId, stored.LeaseToken!.Value));
        Assert.True(stored.LeaseExpiresAt > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Claim_IsWokenByNotify_WhenAJobIsQueuedWhileItWaits()
    {
        await using var server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Runners:ClaimWait"] = "00:00:20" });
        var (_, runner) = await server.RegisterRunnerAsync("waiting-runner", "wake-test");
        var started = Stopwatch.StartNew();
        var claim = ClaimAsync(runner);
        await Task.Delay(500, Ct);

        var jobId = await server.QueueJobAsync("acme/wake", "wake-test");
        var job = await claim;

        Assert.Equal(jobId, job?.JobId);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"claimed after {started.Elapsed.TotalSeconds:0.0} s; the wait was 20 s");
    }

    [Fact]
    public async Task TwoRunners_TenJobs_EachJobIsClaimedExactlyOnce()
    {
        var jobs = new List<long>();
        for (var i = 0; i < 10; i++)
            jobs.Add(await _server.QueueJobAsync("acme/race", "race"));
        var runners = new[] { await _server.RegisterRunnerAsync("race-1", "race"), await _server.RegisterRunnerAsync("race-2", "race") };
        var claimed = new ConcurrentBag<(long Runner, long Job)>();

        await Task.WhenAll(runners.Select(r => Task.Run(async () =>
        {
            while (await ClaimAsync(r.Client) is { } job)
                claimed.Add((r.Id, job.JobId));
        }, Ct)));

        Assert.Equal(jobs.Order(), claimed.Select(c => c.Job).Order());
        await using var db = _server.CreateDbContext();
        Assert.Equal(10, await db.Jobs.CountAsync(j => jobs.Contains(j.Id) && j.State == JobState.Running && j.Attempt == 1, Ct));
    }
}
