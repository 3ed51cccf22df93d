using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data.Entities;
using PerfCI.Server.Bisect;
using PerfCI.Server.Results;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Bisect;

/// <summary>
/// Bisects on the in-process server and real PostgreSQL, over real local git repositories. The test
/// plays the runner through the runner API (claim, upload, complete), so that each commit's trials
/// are chosen: the commits from the culprit on are 10% slower.
/// </summary>
public sealed class BisectTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const string Suite = "serving";
    private const string Scenario = "tiny@c1";
    private const string Metric = "tpot_p50";
    private readonly TempDirectory _temp = new();
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string SuitesYaml = """
        suites:
          - name: serving
            runs-on: [bisect]
            engine:
              command: python -m engine --port {port}
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: tiny
                workload: { input-tokens: 8, output-tokens: 8 }
                concurrency: [1, 4]
                trials: 3
        """;

    public ValueTask InitializeAsync()
    {
        _server = StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // The class's tests share a database, and Hangfire's queue with it: a bisect left going would
        // have the next test's server turn it over a repository whose directory is gone.
        await using (var db = _server.CreateDbContext())
        {
            await db.Bisects.Where(b => b.State == BisectState.Queued || b.State == BisectState.Running)
                .ExecuteUpdateAsync(set => set.SetProperty(b => b.State, BisectState.Cancelled), CancellationToken.None);
        }
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private PerfCiServerFactory StartServer() => new(database.ConnectionString, new Dictionary<string, string>
    {
        ["Git:CacheDirectory"] = Path.Combine(_temp.Path, "mirrors"),
        ["Runners:ClaimWait"] = "00:00:01",
    });

    [Fact]
    public async Task Start_Answers400_NamingEachBadField()
    {
        var (repository, shas, hardwareClass) = await CreateRepositoryAsync("bisect-validation", 6);
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);
        object Valid(object? changes = null)
        {
            var fields = new Dictionary<string, object?>
            {
                ["repository"] = repository, ["good"] = shas[0], ["bad"] = shas[^1], ["suite"] = Suite, ["scenario"] = Scenario,
                ["metric"] = Metric, ["hardwareClass"] = hardwareClass,
            };
            foreach (var property in changes?.GetType().GetProperties() ?? [])
                fields[property.Name] = property.GetValue(changes);
            return fields;
        }

        var cases = new (object Body, string Field, string Says)[]
        {
            (new { }, "repository", "Required"),
            (new { }, "good", "Required"),
            (new { }, "metric", "Required"),
            (Valid(new { repository = "acme/nothing" }), "repository", "not a registered repository"),
            (Valid(new { good = "deadbeef" }), "good", "has no commit deadbeef"),
            (Valid(new { bad = "zz" }), "bad", "is not a commit sha"),
            (Valid(new { good = shas[^1], bad = shas[0] }), "good", "is not an ancestor of bad"),
            (Valid(new { bad = shas[0] }), "bad", "same commit as good"),
            (Valid(new { suite = "nightly" }), "suite", "no results of a suite 'nightly'"),
            (Valid(new { scenario = "tiny@c64" }), "scenario", "no results of a scenario 'tiny@c64'"),
            (Valid(new { metric = "ttft_p99" }), "metric", "no metric 'ttft_p99'"),
            (Valid(new { hardwareClass = "h100-80gb-x8" }), "hardwareClass", "never measured on hardware class 'h100-80gb-x8'"),
            (Valid(new { mode = "sideways" }), "mode", "first_parent"),
            (Valid(new { trialsPerStep = 1 }), "trialsPerStep", "Between 2 and 100"),
            (Valid(new { maxSteps = 1 }), "maxSteps", "Between 2 and 500"),
            (Valid(new { maxRunnerHours = -1 }), "maxRunnerHours", "positive"),
            (Valid(new { alertId = 424242 }), "alertId", "no alert 424242"),
            (Valid(new { requestedBy = "someone-else" }), "requestedBy", "never under another name"),
        };
        foreach (var (body, field, says) in cases)
        {
            using var response = await client.PostAsJsonAsync("/api/bisects", body, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {text}");
            var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty(field, out var messages), $"{JsonSerializer.Serialize(body)} should name {field}: {text}");
            Assert.Contains(says, messages.ToString(), StringComparison.Ordinal);
        }
        using var unknownAlert = await client.PostAsJsonAsync("/api/alerts/424242/bisect", new { }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownAlert.StatusCode);
        await using var db = _server.CreateDbContext();
        Assert.False(await db.Bisects.AnyAsync(b => b.Repository.Name == "bisect-validation", Ct));
    }

    [Fact]
    public async Task BisectThis_NamesTheCulprit_SkipsCommitsThatFail_SurvivesARestart_AndLinksTheAlertGroup()
    {
        const int culprit = 11;
        int[] broken = [7, 8];
        var (repository, shas, hardwareClass) = await CreateRepositoryAsync("bisect-culprit", 16);
        var (groupId, alertId) = await CreateAlertAsync(repository, shas[0], shas[^1], hardwareClass);
        var (_, runner) = await _server.RegisterRunnerAsync("bisect-runner", "bisect");
        double[] Trials(string sha, int count) => Samples(shas.ToList().IndexOf(sha) >= culprit ? 110 : 100, sha, count);

        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer, "ops@perfci.test");
        using var started = await client.PostAsJsonAsync($"/api/alerts/{alertId}/bisect", new { trialsPerStep = 5 }, Ct);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync(Ct));
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        // The first round (both ends), then the server goes away and a new one takes over the database.
        var served = await ServeAsync(runner, Trials, broken.Select(i => shas[i]).ToHashSet(), id, maxJobs: 2);
        Assert.Equal(2, served);
        await _server.WaitForBackgroundJobsAsync();
        await _server.DisposeAsync();
        _server = StartServer();
        runner = (await _server.RegisterRunnerAsync("bisect-runner-2", "bisect")).Client;

        // A turn from scratch rebuilds the search from the stored steps: with the next round's runs
        // already queued it creates nothing; run twice, still nothing.
        var runsBefore = await CountRunsAsync(id);
        for (var i = 0; i < 2; i++)
        {
            await using var scope = _server.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<BisectJob>().RunAsync(id, Ct);
        }
        Assert.Equal(runsBefore, await CountRunsAsync(id));

        await ServeAsync(runner, Trials, broken.Select(i => shas[i]).ToHashSet(), id, maxJobs: 40);
        await _server.WaitForBackgroundJobsAsync();

        using var fresh = _server.CreateClient(); // reading is public
        var bisect = await fresh.GetFromJsonAsync<JsonElement>($"/api/bisects/{id}", Ct);
        Assert.True(bisect.GetProperty("state").GetString() == "succeeded", bisect.ToString());
        Assert.Equal("culprit", bisect.GetProperty("outcome").GetString());
        Assert.Equal(shas[culprit], bisect.GetProperty("culprit").GetProperty("sha").GetString());
        Assert.Equal($"change {culprit}", bisect.GetProperty("culprit").GetProperty("message").GetString());
        Assert.InRange(bisect.GetProperty("magnitude").GetDouble(), 0.08, 0.12);
        Assert.Equal("ops@perfci.test", bisect.GetProperty("requestedBy").GetString()); // the signed-in user
        Assert.Equal(groupId, bisect.GetProperty("alertGroupId").GetInt64());
        var steps = bisect.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(steps.Count, steps.Select(s => s.GetProperty("sequence").GetInt32()).Distinct().Count());
        Assert.Contains(steps, s => s.GetProperty("decision").GetString() == "skipped" && s.GetProperty("reason").GetString()!.Contains("failed: build failed", StringComparison.Ordinal));
        foreach (var step in steps)
        {
            var index = step.GetProperty("rangeIndex").GetInt32();
            Assert.Equal(shas[index], step.GetProperty("commit").GetString());
            var expected = broken.Contains(index) ? "skipped" : index >= culprit ? "same_as_bad" : "same_as_good";
            Assert.Equal(expected, step.GetProperty("decision").GetString());
        }

        await using var db = _server.CreateDbContext();
        var group = await db.AlertGroups.SingleAsync(g => g.Id == groupId, Ct);
        Assert.Equal(id, group.BisectId);
        Assert.Equal(await db.Commits.Where(c => c.Sha == shas[culprit]).Select(c => c.Id).SingleAsync(Ct), group.CulpritCommitId);
        // Each step's run measured only the bisected scenario, with the trials the search asked for.
        var jobs = await db.Jobs.Where(j => j.Run.BisectId == id).Select(j => new { j.SuiteDefinition, j.Run.Trials, j.RequiredHardwareClass }).ToListAsync(Ct);
        Assert.All(jobs, job =>
        {
            var scenarios = JsonDocument.Parse(job.SuiteDefinition).RootElement.GetProperty("scenarios");
            Assert.Equal(1, scenarios.GetArrayLength());
            Assert.Equal("[1]", scenarios[0].GetProperty("concurrency").ToString());
            Assert.Equal(job.Trials, scenarios[0].GetProperty("trials").GetInt32());
            Assert.Equal(hardwareClass, job.RequiredHardwareClass);
        });
    }

    [Fact]
    public async Task Cancel_EndsTheBisectAndItsRuns_AndASecondCancelIsAConflict()
    {
        var (repository, shas, hardwareClass) = await CreateRepositoryAsync("bisect-cancel", 8);
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);
        using var started = await client.PostAsJsonAsync("/api/bisects", new
        {
            repository, good = shas[0][..10], bad = shas[^1], suite = Suite, scenario = Scenario, metric = Metric, hardwareClass, mode = "full_dag",
        }, Ct);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync(Ct));
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        await _server.WaitForBackgroundJobsAsync();
        Assert.Equal(2, await CountRunsAsync(id)); // both ends, queued for a runner of the class

        using var cancelled = await client.PostAsync($"/api/bisects/{id}/cancel", null, Ct);
        using var again = await client.PostAsync($"/api/bisects/{id}/cancel", null, Ct);
        await _server.WaitForBackgroundJobsAsync();
        await using (var scope = _server.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<BisectJob>().RunAsync(id, Ct);

        var view = await cancelled.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("cancelled", view.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        await using var db = _server.CreateDbContext();
        Assert.All(await db.Runs.Where(r => r.BisectId == id).Select(r => r.State).ToListAsync(Ct), state => Assert.Equal(RunState.Cancelled, state));
        Assert.All(await db.Jobs.Where(j => j.Run.BisectId == id).Select(j => j.State).ToListAsync(Ct), state => Assert.Equal(JobState.Cancelled, state));
        Assert.Equal(2, await CountRunsAsync(id));
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/bisects?repository={repository}", Ct);
        Assert.Equal([id], listed.EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));
        Assert.Equal(shas[0], listed[0].GetProperty("goodCommit").GetString()); // an abbreviated sha is resolved
    }

    [Fact]
    public async Task ConfirmingARegression_StartsABisect_OnlyWhenTheRepositoryOptsIn()
    {
        var (optedIn, optedInShas, hardwareClass) = await CreateRepositoryAsync("bisect-auto-on", 6);
        var (optedOut, optedOutShas, _) = await CreateRepositoryAsync("bisect-auto-off", 6);
        await using (var db = _server.CreateDbContext())
        {
            var repository = await db.Repositories.SingleAsync(r => r.Name == "bisect-auto-on", Ct);
            repository.Settings = repository.Settings with { AutoBisect = true };
            await db.SaveChangesAsync(Ct);
        }
        var (onGroup, onAlert) = await CreateAlertAsync(optedIn, optedInShas[0], optedInShas[^1], hardwareClass);
        var (offGroup, offAlert) = await CreateAlertAsync(optedOut, optedOutShas[0], optedOutShas[^1], hardwareClass);
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);

        foreach (var alert in new[] { onAlert, offAlert })
        {
            using var triaged = await client.PostAsJsonAsync($"/api/alerts/{alert}/triage", new { state = "confirmed" }, Ct);
            triaged.EnsureSuccessStatusCode();
        }
        await _server.WaitForBackgroundJobsAsync();

        await using var check = _server.CreateDbContext();
        var bisect = await check.Bisects.SingleAsync(b => b.Repository.Name == "bisect-auto-on" || b.Repository.Name == "bisect-auto-off", Ct);
        Assert.Equal(onAlert, bisect.AlertId);
        Assert.Equal(AutoBisectJob.RequestedBy, bisect.RequestedBy);
        Assert.Equal((Scenario, Metric, hardwareClass), (bisect.Scenario, bisect.Metric, bisect.HardwareClass));
        Assert.Equal(bisect.Id, (await check.AlertGroups.SingleAsync(g => g.Id == onGroup, Ct)).BisectId);
        Assert.Null((await check.AlertGroups.SingleAsync(g => g.Id == offGroup, Ct)).BisectId);
    }

    [Fact]
    public async Task OnlyMaintainers_StartOrCancel_WhileAnyoneMayRead()
    {
        var (repository, shas, hardwareClass) = await CreateRepositoryAsync("bisect-access", 4);
        var (_, alertId) = await CreateAlertAsync(repository, shas[0], shas[^1], hardwareClass);
        var body = new { repository, good = shas[0], bad = shas[^1], suite = Suite, scenario = Scenario, metric = Metric, hardwareClass };
        using var maintainer = await _server.CreateClientAsync(PerfCiRoles.Maintainer);
        using var started = await maintainer.PostAsJsonAsync("/api/bisects", body, Ct);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        using var viewer = await _server.CreateClientAsync(PerfCiRoles.Viewer);
        using var anonymous = _server.CreateClient();

        using var viewerStart = await viewer.PostAsJsonAsync("/api/bisects", body, Ct);
        using var viewerAlert = await viewer.PostAsJsonAsync($"/api/alerts/{alertId}/bisect", new { }, Ct);
        using var viewerCancel = await viewer.PostAsync($"/api/bisects/{id}/cancel", null, Ct);
        using var anonymousStart = await anonymous.PostAsJsonAsync("/api/bisects", body, Ct);
        using var anonymousRead = await anonymous.GetAsync($"/api/bisects/{id}", Ct);

        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized],
            new[] { viewerStart.StatusCode, viewerAlert.StatusCode, viewerCancel.StatusCode, anonymousStart.StatusCode });
        Assert.Equal(HttpStatusCode.OK, anonymousRead.StatusCode);
        await using var db = _server.CreateDbContext();
        Assert.Equal(1, await db.Bisects.CountAsync(b => b.Repository.Name == "bisect-access", Ct));
        Assert.Contains((await db.Bisects.SingleAsync(b => b.Id == id, Ct)).State, new[] { BisectState.Queued, BisectState.Running }); // the viewer's cancel changed nothing
    }

    /// <summary>
    /// A local repository of <paramref name="count"/> commits (perfci.yml in the first), registered, and
    /// its head measured once on a runner's hardware class so that the series exists.
    /// </summary>
    private async Task<(string Repository, IReadOnlyList<string> Shas, string HardwareClass)> CreateRepositoryAsync(string name, int count)
    {
        var git = GitRepository.Init(Path.Combine(_temp.Path, name));
        var shas = new List<string> { git.Commit("change 0", ("perfci.yml", SuitesYaml)) };
        for (var i = 1; i < count; i++)
            shas.Add(git.Commit($"change {i}", ("CHANGES.md", $"change {i}\n")));
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);
        using var created = await client.PostAsJsonAsync("/api/repositories", new { owner = "acme", name, cloneUrl = git.Path }, Ct);
        created.EnsureSuccessStatusCode();
        // The class of the runners PerfCiServerFactory registers.
        var hardwareClass = PerfCI.Core.Hardware.HardwareClass.Derive(new PerfCI.Core.Hardware.HardwareFingerprint { CpuModel = "test-cpu", CpuCores = 2 });
        await using var scope = _server.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ResultIngestor>().IngestAsync(Document(Samples(100, shas[^1], 3)),
            new IngestTarget($"acme/{name}", shas[^1]) { Suite = Suite, HardwareClass = hardwareClass }, Ct);
        return ($"acme/{name}", shas, hardwareClass);
    }

    /// <summary>An open regression alert on the series, whose group spans good..bad.</summary>
    private async Task<(long GroupId, long AlertId)> CreateAlertAsync(string repository, string good, string bad, string hardwareClass)
    {
        await using var db = _server.CreateDbContext();
        var name = repository.Split('/')[1];
        var repositoryId = await db.Repositories.Where(r => r.Name == name).Select(r => r.Id).SingleAsync(Ct);
        var series = await db.Series.SingleAsync(s => s.RepositoryId == repositoryId && s.Scenario == Scenario && s.Metric == Metric && s.HardwareClass == hardwareClass, Ct);
        var from = await db.Commits.SingleOrDefaultAsync(c => c.RepositoryId == repositoryId && c.Sha == good, Ct)
            ?? db.Commits.Add(new Commit { RepositoryId = repositoryId, Sha = good, CommittedAt = DateTimeOffset.UtcNow }).Entity;
        var to = await db.Commits.SingleAsync(c => c.RepositoryId == repositoryId && c.Sha == bad, Ct);
        var group = new AlertGroup { RepositoryId = repositoryId, FromCommit = from, ToCommit = to, State = AlertState.New, CreatedAt = DateTimeOffset.UtcNow };
        var alert = new Alert
        {
            Group = group, SeriesId = series.Id, Kind = AlertKind.Regression, State = AlertState.New, Magnitude = 0.1, MagnitudeLower = 0.08,
            MagnitudeUpper = 0.12, Noise = 0.01, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Alerts.Add(alert);
        await db.SaveChangesAsync(Ct);
        return (group.Id, alert.Id);
    }

    /// <summary>
    /// Plays a runner until the bisect ends or <paramref name="maxJobs"/> jobs were served: claims, uploads
    /// the trials <paramref name="trials"/> gives for the job's commit (as many as its run asks for), and
    /// ends the job; a commit in <paramref name="broken"/> fails to build. Returns the jobs served.
    /// </summary>
    private async Task<int> ServeAsync(HttpClient runner, Func<string, int, double[]> trials, HashSet<string> broken, long bisectId, int maxJobs)
    {
        var served = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (served < maxJobs)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Bisect {bisectId} did not end in time after {served} jobs");
            await using (var db = _server.CreateDbContext())
            {
                if (await db.Bisects.Where(b => b.Id == bisectId).Select(b => b.State).SingleAsync(Ct) is not (BisectState.Queued or BisectState.Running))
                    return served;
            }
            using var claim = await runner.PostAsync("/api/runners/claim", null, Ct);
            if (claim.StatusCode == HttpStatusCode.NoContent)
                continue;
            var job = (await claim.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<ClaimedJob>(Ct))!;
            int count;
            await using (var db = _server.CreateDbContext())
                count = await db.Jobs.Where(j => j.Id == job.JobId).Select(j => j.Run.Trials ?? 3).SingleAsync(Ct);
            if (!broken.Contains(job.CommitSha))
            {
                using var upload = await runner.PostAsync($"/api/runners/jobs/{job.JobId}/results?lease={job.LeaseToken}",
                    new StringContent(ResultDocumentJson.Serialize(Document(trials(job.CommitSha, count))), Encoding.UTF8, "application/json"), Ct);
                upload.EnsureSuccessStatusCode();
            }
            using var complete = await runner.PostAsJsonAsync($"/api/runners/jobs/{job.JobId}/complete",
                new { leaseToken = job.LeaseToken, succeeded = !broken.Contains(job.CommitSha), error = broken.Contains(job.CommitSha) ? "build failed" : null }, Ct);
            complete.EnsureSuccessStatusCode();
            served++;
        }
        return served;
    }

    private async Task<int> CountRunsAsync(long bisectId)
    {
        await using var db = _server.CreateDbContext();
        return await db.Runs.CountAsync(r => r.BisectId == bisectId, Ct);
    }

    /// <summary>Trials around <paramref name="level"/> with 1% noise, the same for the same commit and count.</summary>
    private static double[] Samples(double level, string sha, int count)
    {
        var random = new Random(Convert.ToInt32(sha[..7], 16) ^ count);
        return [.. Enumerable.Range(0, count).Select(_ => Math.Round(level * (1 + 0.01 * (random.NextDouble() * 2 - 1)), 3))];
    }

    private static ResultDocument Document(double[] tpot) => new()
    {
        Source = new ResultSource("perfci-bench"),
        Suite = Suite,
        Scenarios = [new ScenarioResult { Name = "tiny", Concurrency = 1, Metrics = [MetricCatalog.Samples(Metric, tpot)] }],
    };
}
