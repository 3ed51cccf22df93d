using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// The whole path on real parts: a server process on real PostgreSQL, a runner process, a local git
/// repository whose perfci.yml starts perfci-bench's simulated engine, and the measurements in the
/// database at the end.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AgentEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Runner_ClaimsARun_RunsTheSuiteAgainstTheEngine_AndItsMeasurementsAreStored()
    {
        await using var server = await EndToEndServer.StartAsync(nameof(Runner_ClaimsARun_RunsTheSuiteAgainstTheEngine_AndItsMeasurementsAreStored));
        var config = await server.RegisterRunnerAsync("sim-runner", Ct);
        var repository = Path.Combine(server.WorkDirectory, "engine");
        var sha = EngineRepository.Create(repository,
            ("engine.json", """{ "model": "sim", "decodeMsPerStep": 10, "prefillMsPerToken": 0.01, "startupDelayMs": 300 }"""),
            ("perfci.yml", $$"""
                suites:
                  - name: serving
                    runs-on: [{{EndToEndServer.RunnerLabel}}]
                    engine:
                      command: {{EngineRepository.SimulateCommand("engine.json")}}
                      ready: http://127.0.0.1:{port}/health
                      timeout: 60s
                    scenarios:
                      - name: tiny
                        workload: { input-tokens: 32, output-tokens: 8 }
                        concurrency: [1, 2]
                        requests: 6
                        warmup: 2
                        trials: 2
                """));
        await server.AddRepositoryAsync("local", "engine", repository, Ct);
        var runId = await server.CreateRunAsync("local/engine", sha, suites: null, Ct);

        var runner = server.StartRunner(config);
        var run = await server.WaitForRunAsync(runId, TimeSpan.FromMinutes(2), Ct);

        Assert.True(run.GetProperty("state").Deserialize<RunState>() == RunState.Succeeded, $"run: {run}\n{server.Output}");
        await using var db = TestPostgres.CreateContext(server.ConnectionString);
        var scenarios = await db.Measurements.Where(m => m.RunId == runId).Select(m => m.Series.Scenario).Distinct().ToListAsync(Ct);
        Assert.Equal(["cold_start", "tiny@c1", "tiny@c2"], scenarios.Order());
        var samples = await db.Measurements.Where(m => m.RunId == runId && m.Series.Scenario == "tiny@c2" && m.Series.Metric == "tpot_p50").Select(m => m.Samples).SingleAsync(Ct);
        Assert.Equal(2, samples.Length);                      // one sample per trial
        // The engine's 10 ms step, never less; plus what two sequences and a busy machine add (15.7 ms seen
        // on 2 cores at load 14), never a unit off (0.01 or 10,000).
        Assert.All(samples, tpot => Assert.InRange(tpot, 9, 25));
        var jobIds = await db.Jobs.Where(j => j.RunId == runId).Select(j => j.Id).ToListAsync(Ct);
        var logs = await db.JobLogChunks.Where(c => jobIds.Contains(c.JobId)).Select(c => c.Text).ToListAsync(Ct);
        Assert.Contains(logs, l => l.Contains("engine ready after", StringComparison.Ordinal));

        runner.Terminate();
        await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, runner.ExitCode);
    }
}
