using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// What goes wrong on a runner, on real parts (server and runner processes, the simulated engine
/// as a child of the runner, real PostgreSQL): a runner killed mid-job, a server down when the
/// runner uploads, and an engine that does not start, is never ready, or crashes mid-run.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RunnerFailureEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public enum EngineFailure
    {
        ExitsAtStart,
        NeverReady,
        CrashesMidRun,
    }

    [Fact]
    public async Task RunnerKilledMidJob_LeaseExpires_ASecondRunnerFinishesTheJob_AndOneSetOfResultsIsStored()
    {
        // A lease of 5 s (the runners heartbeat every second) looked at every second.
        await using var server = await EndToEndServer.StartAsync(nameof(RunnerKilledMidJob_LeaseExpires_ASecondRunnerFinishesTheJob_AndOneSetOfResultsIsStored),
            new Dictionary<string, string?> { ["Runners__LeaseDuration"] = "00:00:05", ["Runners__LeaseCheckInterval"] = "00:00:01" });
        var registering = new[] { server.RegisterRunnerAsync("runner-a", Ct), server.RegisterRunnerAsync("runner-b", Ct) };
        var (configA, configB) = (await registering[0], await registering[1]);
        var repository = Path.Combine(server.WorkDirectory, "engine");
        // Each trial lasts ~2.5 s (6 requests of 40 tokens at 10 ms), so the kill lands in the second.
        var sha = EngineRepository.Create(repository,
            ("engine.json", """{ "model": "sim", "decodeMsPerStep": 10, "startupDelayMs": 200 }"""),
            ("perfci.yml", PerfciYml(ServingSuite("serving", EngineRepository.SimulateCommand("engine.json"), outputTokens: 40, requests: 6))));
        await server.AddRepositoryAsync("local", "engine", repository, Ct);
        var runId = await server.CreateRunAsync("local/engine", sha, suites: null, Ct);
        var runnerA = server.StartRunner(configA);
        var jobId = await server.WaitForJobLogAsync(runId, "starting the engine", TimeSpan.FromSeconds(60), Ct);
        // B waits in its long poll from here on: nothing is queued while A holds the job.
        var runnerB = server.StartRunner(configB);
        await server.WaitForJobLogAsync(runId, "trial 1/2", TimeSpan.FromSeconds(60), Ct);
        Guid staleLease;
        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
        {
            var held = await db.Jobs.Where(j => j.Id == jobId).Select(j => new { j.LeaseToken, Runner = j.Runner!.Name, j.Attempt }).SingleAsync(Ct);
            Assert.Equal(("runner-a", 1), (held.Runner, held.Attempt));
            staleLease = held.LeaseToken!.Value;
        }

        await runnerA.KillAsync(); // SIGKILL mid-trial: no upload, no complete, the lease just stops being renewed
        var run = await server.WaitForRunAsync(runId, TimeSpan.FromSeconds(60), Ct);

        Assert.True(State(run) == RunState.Succeeded, $"run: {run}\n{server.Output}");
        var job = run.GetProperty("jobs").EnumerateArray().Single();
        Assert.Equal((jobId, 2, "runner-b"), (job.GetProperty("id").GetInt64(), job.GetProperty("attempt").GetInt32(), job.GetProperty("runnerName").GetString()));
        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
        {
            var results = await db.JobResults.Where(r => r.RunId == runId).Select(r => new { r.JobId, r.Attempt }).ToListAsync(Ct);
            Assert.Equal([new { JobId = (long?)jobId, Attempt = (int?)2 }], results);
            var perSeries = await db.Measurements.Where(m => m.RunId == runId).GroupBy(m => m.Series.Scenario + "/" + m.Series.Metric)
                .Select(g => new { Series = g.Key, Count = g.Count() }).ToListAsync(Ct);
            Assert.Contains(perSeries, s => s.Series == "tiny@c1/tpot_p50");
            Assert.All(perSeries, s => Assert.Equal(1, s.Count));
        }
        // Runner A's lease token, were it to come back, is refused.
        var credentialA = (await RunnerConfig.LoadAsync(configA, Ct)).Credential;
        using var lateUpload = new HttpRequestMessage(HttpMethod.Post, $"/api/runners/jobs/{jobId}/results?lease={staleLease}")
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", credentialA) },
        };
        using var refused = await server.Http.SendAsync(lateUpload, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Stale lease", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(runnerB.HasExited);
    }

    [Fact]
    public async Task ServerDownAtUpload_TheRunnerRetriesUntilItIsBack_TheJobSucceedsWithOneSetOfResults_AndTheSameRunnerTakesTheNextJob()
    {
        // A lease of 30 s, longer than the outage (the rest of the benchmark and a server start),
        // looked at every second: a runner that did not renew it once the server is back would lose the job.
        await using var server = await EndToEndServer.StartAsync(nameof(ServerDownAtUpload_TheRunnerRetriesUntilItIsBack_TheJobSucceedsWithOneSetOfResults_AndTheSameRunnerTakesTheNextJob),
            new Dictionary<string, string?> { ["Runners__LeaseDuration"] = "00:00:30", ["Runners__LeaseCheckInterval"] = "00:00:01" });
        var config = await server.RegisterRunnerAsync("sim-runner", Ct);
        var repository = Path.Combine(server.WorkDirectory, "engine");
        // Each trial lasts ~2.5 s (6 requests of 40 tokens at 10 ms): the crash lands in the second.
        var sha = EngineRepository.Create(repository,
            ("engine.json", """{ "model": "sim", "decodeMsPerStep": 10, "startupDelayMs": 200 }"""),
            ("perfci.yml", PerfciYml(ServingSuite("serving", EngineRepository.SimulateCommand("engine.json"), outputTokens: 40, requests: 6))));
        await server.AddRepositoryAsync("local", "engine", repository, Ct);
        var runId = await server.CreateRunAsync("local/engine", sha, suites: null, Ct);
        var runner = server.StartRunner(config);
        await runner.WaitForOutputAsync("trial 1/2", TimeSpan.FromSeconds(60));

        await server.CrashAsync();
        await runner.WaitForOutputAsync("upload failed", TimeSpan.FromSeconds(30)); // refused, and tried again later
        await server.StartAgainAsync();
        var run = await server.WaitForRunAsync(runId, TimeSpan.FromSeconds(60), Ct);

        Assert.True(State(run) == RunState.Succeeded, $"run: {run}\n{server.Output}");
        var job = run.GetProperty("jobs").EnumerateArray().Single();
        var jobId = job.GetProperty("id").GetInt64();
        Assert.Equal((1, "sim-runner"), (job.GetProperty("attempt").GetInt32(), job.GetProperty("runnerName").GetString()));
        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
        {
            var results = await db.JobResults.Where(r => r.RunId == runId).Select(r => new { r.JobId, r.Attempt }).ToListAsync(Ct);
            Assert.Equal([new { JobId = (long?)jobId, Attempt = (int?)1 }], results);
            var perSeries = await db.Measurements.Where(m => m.RunId == runId).GroupBy(m => m.Series.Scenario + "/" + m.Series.Metric)
                .Select(g => new { Series = g.Key, Count = g.Count() }).ToListAsync(Ct);
            Assert.Contains(perSeries, s => s.Series == "tiny@c1/tpot_p50");
            Assert.All(perSeries, s => Assert.Equal(1, s.Count));
            // What the runner logged while the server was down reached the job's log once it was back.
            var log = string.Concat(await db.JobLogChunks.Where(c => c.JobId == jobId).OrderBy(c => c.Sequence).Select(c => c.Text).ToListAsync(Ct));
            Assert.Contains("trial 2/2", log, StringComparison.Ordinal);
            Assert.Contains("upload failed", log, StringComparison.Ordinal);
        }
        // The same runner process, still running, takes the next job.
        var nextRunId = await server.CreateRunAsync("local/engine", sha, suites: null, Ct);
        var nextRun = await server.WaitForRunAsync(nextRunId, TimeSpan.FromSeconds(60), Ct);
        Assert.True(State(nextRun) == RunState.Succeeded, $"run: {nextRun}\n{server.Output}");
        Assert.Equal("sim-runner", nextRun.GetProperty("jobs")[0].GetProperty("runnerName").GetString());
        Assert.False(runner.HasExited, server.Output);
    }

    [Theory]
    [InlineData(EngineFailure.ExitsAtStart, "the engine exited with code 2 before it was ready", "cannot read the engine model")]
    [InlineData(EngineFailure.NeverReady, "the engine was not ready at http://127.0.0.1:", "perfci-bench: simulated engine 'sim'")]
    [InlineData(EngineFailure.CrashesMidRun, "the engine exited with code 1 during scenario 'tiny'", "fatal: simulated crash on completion request 4 (crashAfterRequests: 3)")]
    public async Task EngineFailure_FailsTheJobWithTheEnginesLastLines_AndTheSameRunnerThenRunsTheNextJob(EngineFailure failure, string error, string lastLine)
    {
        await using var server = await EndToEndServer.StartAsync($"{nameof(EngineFailure_FailsTheJobWithTheEnginesLastLines_AndTheSameRunnerThenRunsTheNextJob)}_{failure}");
        var config = await server.RegisterRunnerAsync("sim-runner", Ct);
        var repository = Path.Combine(server.WorkDirectory, "engine");
        var broken = failure switch
        {
            // perfci-bench refuses a model file it cannot read, before it listens.
            EngineFailure.ExitsAtStart => ServingSuite("broken", EngineRepository.SimulateCommand("missing.json")),
            // Listening, but /health answers 503 for a minute: longer than the suite's timeout.
            EngineFailure.NeverReady => ServingSuite("broken", EngineRepository.SimulateCommand("slow.json"), readyTimeout: "3s"),
            // The cold start's request, the first trial's warm-up and its first measured request go through; the next kills it.
            EngineFailure.CrashesMidRun => ServingSuite("broken", EngineRepository.SimulateCommand("crashing.json")),
            _ => throw new ArgumentOutOfRangeException(nameof(failure)),
        };
        var sha = EngineRepository.Create(repository,
            ("engine.json", """{ "model": "sim", "decodeMsPerStep": 5 }"""),
            ("slow.json", """{ "model": "sim", "startupDelayMs": 60000 }"""),
            ("crashing.json", """{ "model": "sim", "decodeMsPerStep": 5, "crashAfterRequests": 3 }"""),
            ("perfci.yml", PerfciYml(broken, ServingSuite("serving", EngineRepository.SimulateCommand("engine.json")))));
        await server.AddRepositoryAsync("local", "engine", repository, Ct);
        var runner = server.StartRunner(config);
        var brokenRunId = await server.CreateRunAsync("local/engine", sha, ["broken"], Ct);
        var brokenRun = await server.WaitForRunAsync(brokenRunId, TimeSpan.FromSeconds(30), Ct);

        var goodRunId = await server.CreateRunAsync("local/engine", sha, ["serving"], Ct);
        var goodRun = await server.WaitForRunAsync(goodRunId, TimeSpan.FromSeconds(30), Ct);

        Assert.True(State(brokenRun) == RunState.Failed, $"run: {brokenRun}\n{server.Output}");
        var failedJob = brokenRun.GetProperty("jobs").EnumerateArray().Single();
        Assert.StartsWith(error, failedJob.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains(lastLine, failedJob.GetProperty("engineLogTail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, failedJob.GetProperty("attempt").GetInt32()); // ended by its runner, not handed out again
        // The same runner process, still running, took the next job and finished it.
        Assert.True(State(goodRun) == RunState.Succeeded, $"run: {goodRun}\n{server.Output}");
        Assert.Equal("sim-runner", goodRun.GetProperty("jobs")[0].GetProperty("runnerName").GetString());
        Assert.False(runner.HasExited, server.Output);
    }

    [Fact]
    public async Task EngineCrashMidOpenLoopTrial_FailsTheJobAtOnce_NotWhenTheTrialsScheduleEnds()
    {
        await using var server = await EndToEndServer.StartAsync(nameof(EngineCrashMidOpenLoopTrial_FailsTheJobAtOnce_NotWhenTheTrialsScheduleEnds));
        var config = await server.RegisterRunnerAsync("sim-runner", Ct);
        var repository = Path.Combine(server.WorkDirectory, "engine");
        // 600 requests at 20/s: the trial's schedule lasts 30 s, whether the engine answers or not.
        // The cold start's request, the warm-up and the first two measured requests go through.
        var sha = EngineRepository.Create(repository,
            ("crashing.json", """{ "model": "sim", "decodeMsPerStep": 5, "crashAfterRequests": 4 }"""),
            ("perfci.yml", PerfciYml($$"""
                  - name: open
                    runs-on: [{{EndToEndServer.RunnerLabel}}]
                    engine:
                      command: {{EngineRepository.SimulateCommand("crashing.json")}}
                      ready: http://127.0.0.1:{port}/health
                      timeout: 30s
                    scenarios:
                      - name: poisson
                        workload: { input-tokens: 16, output-tokens: 8 }
                        rate: 20
                        requests: 600
                        warmup: 1
                        trials: 2
                """)));
        await server.AddRepositoryAsync("local", "engine", repository, Ct);
        var runner = server.StartRunner(config);
        var runId = await server.CreateRunAsync("local/engine", sha, suites: null, Ct);

        var run = await server.WaitForRunAsync(runId, TimeSpan.FromSeconds(60), Ct);

        Assert.True(State(run) == RunState.Failed, $"run: {run}\n{server.Output}");
        var job = run.GetProperty("jobs").EnumerateArray().Single();
        Assert.Equal("the engine exited with code 1 during scenario 'poisson'", job.GetProperty("error").GetString());
        Assert.Contains("fatal: simulated crash on completion request 5 (crashAfterRequests: 4)", job.GetProperty("engineLogTail").GetString(), StringComparison.Ordinal);
        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
        {
            var times = await db.Jobs.Where(j => j.RunId == runId).Select(j => new { j.StartedAt, j.FinishedAt }).SingleAsync(Ct);
            var ran = times.FinishedAt - times.StartedAt;
            // Checkout, the engine's start and its stop take a few seconds; the trial's schedule alone would take 30.
            Assert.True(ran < TimeSpan.FromSeconds(15), $"the job ran {ran}\n{server.Output}");
        }
        Assert.False(runner.HasExited, server.Output);
    }

    private static RunState State(JsonElement run) => run.GetProperty("state").Deserialize<RunState>();

    private static string PerfciYml(params string[] suites) => $"suites:\n{string.Join('\n', suites)}\n";

    /// <summary>A suite of one closed-loop scenario at concurrency 1, as a perfci.yml list item indented under <c>suites:</c>.</summary>
    private static string ServingSuite(string name, string engineCommand, int outputTokens = 8, int requests = 4, string readyTimeout = "30s") => $$"""
          - name: {{name}}
            runs-on: [{{EndToEndServer.RunnerLabel}}]
            engine:
              command: {{engineCommand}}
              ready: http://127.0.0.1:{port}/health
              timeout: {{readyTimeout}}
            scenarios:
              - name: tiny
                workload: { input-tokens: 16, output-tokens: {{outputTokens}} }
                concurrency: [1]
                requests: {{requests}}
                warmup: 1
                trials: 2
        """;
}
