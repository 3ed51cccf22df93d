using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Core.Results;
using PerfCI.Data.Entities;
using PerfCI.Testing;
using PerfCI.Ui;
using PerfCI.Ui.PullRequests;
using PerfCI.Ui.Runners;
using PerfCI.Ui.Runs;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>The dashboard's reads on real PostgreSQL: home, a run's page, runners, pull requests.</summary>
public sealed class DashboardQueriesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<T> QueryAsync<TService, T>(Func<TService, Task<T>> query) where TService : notnull
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private static string Sha(int i) => i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Home_ShowsEachRepositorysLatestRuns_OpenPullRequestsWithVerdicts_TheFleetAndTheQueue()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var db = _server.CreateDbContext())
        {
            var repository = new Repository { Owner = "acme", Name = "home", CloneUrl = "https://github.com/acme/home.git", CreatedAt = now };
            var suite = new Suite { Repository = repository, Name = "serving", CreatedAt = now };
            db.Suites.Add(suite);
            for (var i = 0; i < 7; i++)
            {
                var run = new Run { Repository = repository, Commit = new Commit { Repository = repository, Sha = Sha(i), CommittedAt = now }, Trigger = RunTrigger.Push,
                    State = i < 6 ? RunState.Succeeded : RunState.Queued, CreatedAt = now.AddMinutes(i) };
                run.Jobs.Add(new Job { Suite = suite, State = i < 6 ? JobState.Succeeded : JobState.Queued, RequiredLabels = ["gpu"], QueuedAt = run.CreatedAt });
                db.Runs.Add(run);
            }
            db.PullRequests.Add(new PullRequest { Repository = repository, Number = 3, Title = "Fork", State = PullRequestState.Open, HeadSha = Sha(100), HeadRepositoryFullName = "x/home", RequiresApproval = true, UpdatedAt = now });
            db.PullRequests.Add(new PullRequest { Repository = repository, Number = 4, Title = "Closed", State = PullRequestState.Closed, HeadSha = Sha(101), UpdatedAt = now });
            db.Runners.Add(new Runner { Name = "home-idle", HardwareClass = "cpu", TokenHash = [1, 2, 3], State = RunnerState.Idle, RegisteredAt = now, LastSeenAt = now.AddHours(1) });
            db.Runners.Add(new Runner { Name = "home-gone", HardwareClass = "cpu", TokenHash = [4, 5, 6], State = RunnerState.Offline, RegisteredAt = now });
            await db.SaveChangesAsync(Ct);
        }

        var home = await QueryAsync<IDashboardQueries, HomeSummary>(q => q.GetHomeAsync(Ct));

        var summary = Assert.Single(home.Repositories, r => r.FullName == "acme/home");
        Assert.Equal(7, summary.Runs);
        Assert.Equal([Sha(6), Sha(5), Sha(4), Sha(3), Sha(2)], summary.LatestRuns!.Select(r => r.Sha));
        Assert.Equal(RunState.Queued, summary.LatestRuns![0].State);
        var pullRequest = Assert.Single(summary.PullRequests!);
        Assert.Equal((3, PullRequestVerdict.WaitingForApproval, true), (pullRequest.Number, pullRequest.Verdict, pullRequest.IsFork));
        await using (var db = _server.CreateDbContext())
        {
            // Other tests of the class register runners too: the fleet is what the table holds.
            var states = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.Runners.Select(r => r.State), Ct);
            Assert.Equal((states.Count(s => s == RunnerState.Idle), states.Count(s => s == RunnerState.Busy), states.Count(s => s == RunnerState.Offline)),
                (home.Fleet.Idle, home.Fleet.Busy, home.Fleet.Offline));
            Assert.Contains(RunnerState.Idle, states);
            Assert.Contains(RunnerState.Offline, states);
        }
        var queued = Assert.Single(home.Queue!, j => j.Repository == "acme/home");
        Assert.Equal("serving", queued.Suite);
        Assert.Equal(["gpu"], queued.RequiredLabels);
    }

    [Fact]
    public async Task RunPage_ShowsEachTrial_TheRunnersHardware_AndTheGpuTelemetryOverTime()
    {
        var jobId = await _server.QueueJobAsync("acme/run-page", "telemetry");
        var (runnerId, runner) = await _server.RegisterRunnerAsync("gpu-box", "telemetry");
        using var claim = await runner.PostAsync("/api/runners/claim", null, Ct);
        var job = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<PerfCI.Server.Runners.ClaimedJob>(claim.EnsureSuccessStatusCode().Content, Ct);
        var document = ResultDocumentJson.Serialize(new ResultDocument
        {
            Source = new ResultSource("perfci-bench"),
            Hardware = new HardwareFingerprint { Gpus = [new GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54", "12.4")], CpuModel = "EPYC", CpuCores = 16 },
            Scenarios =
            [
                new ScenarioResult
                {
                    Name = "chat", Concurrency = 4, Metrics = [MetricCatalog.Samples("ttft_p50", 41, 43, 42)],
                    Trials =
                    [
                        new TrialInfo { Index = 0, GpuTrace = [new GpuTracePoint(0, 0, 1000, 10, 100, 1400), new GpuTracePoint(0, 500, 30000, 95, 650, 1980)] },
                        new TrialInfo { Index = 1 },
                    ],
                },
            ],
        });
        using var upload = await runner.PostAsync($"/api/runners/jobs/{jobId}/results?lease={job!.LeaseToken}",
            new StringContent(document, System.Text.Encoding.UTF8, "application/json"), Ct);
        upload.EnsureSuccessStatusCode();

        var run = await QueryAsync<IRunQueries, RunDetail?>(q => q.GetAsync(job.RunId, Ct));
        var runners = await QueryAsync<IRunnerQueries, IReadOnlyList<RunnerItem>>(q => q.ListAsync(Ct));

        var metric = Assert.Single(run!.Metrics);
        Assert.Equal(("chat@c4", "ttft_p50", 42.0), (metric.Scenario, metric.Metric, metric.Median));
        Assert.Equal([41.0, 43, 42], metric.Trials);
        Assert.Equal("gpu-box", Assert.Single(run.Jobs).RunnerName);
        var trace = Assert.Single(run.Telemetry);
        Assert.Equal(("chat@c4", 0, 0), (trace.Scenario, trace.Trial, trace.Gpu));
        Assert.Equal([0.0, 0.5], trace.Readings.Select(r => r.Seconds));
        Assert.Equal([30000.0, 95, 650, 1980], [trace.Readings[1].MemoryUsedMiB!.Value, trace.Readings[1].UtilizationPercent!.Value, trace.Readings[1].PowerW!.Value, trace.Readings[1].SmClockMHz!.Value]);
        var box = Assert.Single(runners, r => r.Id == runnerId);
        Assert.Equal((jobId, job.RunId), (box.CurrentJobId, box.CurrentRunId));
    }
}
