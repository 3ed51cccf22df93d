using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// Issue 7's whole loop on real parts: a server process on real PostgreSQL, a runner process, and a
/// local git repository of 32 commits whose perfci.yml starts the simulated engine; one commit makes
/// the engine's decode step 8% slower. A bisect started through the API is run by the runner, one
/// step at a time, and names that commit; the API and the dashboard show every step.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class BisectEndToEndTests
{
    private const int Commits = 32;
    private const int Culprit = 19;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bisect_StartedThroughTheApi_NamesTheCommitThatSlowedTheEngine_AndShowsEveryStep()
    {
        await using var server = await EndToEndServer.StartAsync(nameof(Bisect_StartedThroughTheApi_NamesTheCommitThatSlowedTheEngine_AndShowsEveryStep));
        var config = await server.RegisterRunnerAsync("bisect-runner", Ct);
        var shas = CreateEngineHistory(Path.Combine(server.WorkDirectory, "engine"));
        await server.AddRepositoryAsync("local", "engine", Path.Combine(server.WorkDirectory, "engine"), Ct);
        var runner = server.StartRunner(config);

        // The head was benchmarked as usual: its series is what the bisect measures.
        var headRun = await server.WaitForRunAsync(await server.CreateRunAsync("local/engine", shas[^1], suites: null, Ct), TimeSpan.FromMinutes(2), Ct);
        Assert.True(headRun.GetProperty("state").Deserialize<RunState>() == RunState.Succeeded, $"head run: {headRun}\n{server.Output}");
        string hardwareClass;
        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
            hardwareClass = await db.Runners.Select(r => r.HardwareClass).SingleAsync(Ct);

        using var started = await server.Http.PostAsJsonAsync("/api/bisects", new
        {
            repository = "local/engine", good = shas[0], bad = shas[^1], suite = "serving", scenario = "tiny@c1", metric = "tpot_p50",
            hardwareClass, trialsPerStep = 5, maxSteps = 16,
        }, Ct);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync(Ct));
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        var bisect = await WaitForBisectAsync(server, id, TimeSpan.FromMinutes(5));

        var context = $"bisect: {bisect}\n{server.Output}";
        Assert.True(bisect.GetProperty("state").GetString() == "succeeded", context);
        Assert.Equal("culprit", bisect.GetProperty("outcome").GetString());
        Assert.Equal(shas[Culprit], bisect.GetProperty("culprit").GetProperty("sha").GetString());
        Assert.Equal("engine: decode step 30 -> 32.4 ms", bisect.GetProperty("culprit").GetProperty("message").GetString());
        Assert.Equal(shas[Culprit - 1], bisect.GetProperty("lastGoodCommit").GetString());
        var magnitude = bisect.GetProperty("magnitude").GetDouble();
        Assert.InRange(magnitude, 0.04, 0.12); // the engine's decode step is 8% longer; TPOT follows it
        Assert.InRange(magnitude, bisect.GetProperty("magnitudeLower").GetDouble(), bisect.GetProperty("magnitudeUpper").GetDouble());

        // Every step: its commit, message, trials, median, decision, p-value and run.
        var steps = bisect.GetProperty("steps").EnumerateArray().ToList();
        Assert.InRange(steps.Count, 3, 16);
        Assert.Contains(steps, s => s.GetProperty("commit").GetString() == shas[0] && s.GetProperty("decision").GetString() == "same_as_good");
        Assert.Contains(steps, s => s.GetProperty("commit").GetString() == shas[^1] && s.GetProperty("decision").GetString() == "same_as_bad");
        Assert.Contains(steps, s => s.GetProperty("commit").GetString() == shas[Culprit] && s.GetProperty("decision").GetString() == "same_as_bad");
        foreach (var step in steps)
        {
            Assert.True(step.GetProperty("samples").GetArrayLength() >= 5, context);
            Assert.True(step.GetProperty("median").GetDouble() > 0, context);
            Assert.Equal("succeeded", step.GetProperty("runState").GetString());
            Assert.False(string.IsNullOrEmpty(step.GetProperty("message").GetString()));
            var index = step.GetProperty("rangeIndex").GetInt32();
            Assert.Equal(shas[index], step.GetProperty("commit").GetString());
            // A commit may stay undecided, but none is ever put on the wrong side of the culprit.
            Assert.NotEqual(index >= Culprit ? "same_as_good" : "same_as_bad", step.GetProperty("decision").GetString());
        }

        await using (var db = TestPostgres.CreateContext(server.ConnectionString))
        {
            var runIds = steps.Select(s => s.GetProperty("runId").GetInt64()).ToList();
            var runs = await db.Runs.Where(r => r.BisectId == id).Select(r => new { r.Id, r.Trigger }).ToListAsync(Ct);
            Assert.Equal(runIds.Order(), runs.Select(r => r.Id).Order());
            Assert.All(runs, r => Assert.Equal(RunTrigger.Bisect, r.Trigger));
            // Each step measured the bisected scenario only (and the engine's start, which every job measures).
            var scenarios = await db.Measurements.Where(m => runIds.Contains(m.RunId)).Select(m => m.Series.Scenario).Distinct().ToListAsync(Ct);
            Assert.Equal(["cold_start", "tiny@c1"], scenarios.Order());
        }

        // The dashboard's page of the bisect, as the server renders it: every step and the culprit.
        var page = await server.Http.GetStringAsync($"/bisects/{id}", Ct);
        Assert.Equal(steps.Count, StepRow().Count(page));
        Assert.Contains(shas[Culprit][..12], CulpritBlock().Match(page).Value, StringComparison.Ordinal);

        runner.Terminate();
        await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// 32 commits: the engine and its perfci.yml first, then small changes; the commit at
    /// <see cref="Culprit"/> lengthens the simulated engine's decode step from 30 to 32.4 ms (8%).
    /// </summary>
    private static List<string> CreateEngineHistory(string path)
    {
        var repository = GitRepository.Init(path);
        var shas = new List<string>
        {
            repository.Commit("Engine and its perfci.yml", ("engine.json", Engine(30)), ("perfci.yml", $$"""
                suites:
                  - name: serving
                    runs-on: [{{EndToEndServer.RunnerLabel}}]
                    engine:
                      command: {{EngineRepository.SimulateCommand("engine.json")}}
                      ready: http://127.0.0.1:{port}/health
                      timeout: 60s
                    scenarios:
                      - name: tiny
                        workload: { input-tokens: 16, output-tokens: 10 }
                        concurrency: [1, 2]
                        requests: 3
                        warmup: 1
                        trials: 2
                """)),
        };
        for (var i = 1; i < Commits; i++)
        {
            shas.Add(i == Culprit
                ? repository.Commit("engine: decode step 30 -> 32.4 ms", ("engine.json", Engine(32.4)))
                : repository.Commit($"docs: note {i}", ("NOTES.md", $"note {i}\n")));
        }
        return shas;
    }

    private static string Engine(double decodeMs) =>
        FormattableString.Invariant($$"""{ "model": "sim", "decodeMsPerStep": {{decodeMs}}, "prefillMsPerToken": 0.01 }""");

    private static async Task<JsonElement> WaitForBisectAsync(EndToEndServer server, long id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var bisect = await server.Http.GetFromJsonAsync<JsonElement>($"/api/bisects/{id}", Ct);
            if (bisect.GetProperty("state").GetString() is not ("queued" or "running"))
                return bisect;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Bisect {id} still {bisect.GetProperty("state")} after {timeout}: {bisect}\n{server.Output}");
            await Task.Delay(500, Ct);
        }
    }

    [GeneratedRegex("""data-testid="bisect-step-row""")]
    private static partial Regex StepRow();

    [GeneratedRegex("""data-testid="bisect-culprit"[\s\S]{0,2000}""")]
    private static partial Regex CulpritBlock();
}
