using PerfCI.Bench.Engine;
using PerfCI.Bench.Simulator;
using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;

namespace PerfCI.Bench.Tests.Suites;

/// <summary>A whole suite from a perfci.yml, against perfci-bench's own simulated engine as a real child process.</summary>
public sealed class SuiteRunnerTests : IDisposable
{
    private readonly DirectoryInfo _checkout = Directory.CreateTempSubdirectory("perfci-suite-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _checkout.Delete(recursive: true);

    private static string EngineCommand(string config)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return $"exec '{dotnet}' '{typeof(EngineModel).Assembly.Location}' simulate --port {{port}} --config {config}";
    }

    [Fact]
    public async Task Suite_MeasuresColdStart_AndEveryScenarioAtEveryLoadPoint()
    {
        await File.WriteAllTextAsync(Path.Combine(_checkout.FullName, "engine.json"), """{ "startupDelayMs": 200, "decodeMsPerStep": 4, "model": "tiny" }""", Ct);
        var yaml = $$"""
            suites:
              - name: serving
                engine:
                  command: {{EngineCommand("{checkout}/engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 30s
                scenarios:
                  - name: short
                    workload: { input-tokens: 64, output-tokens: 8 }
                    concurrency: [1, 4]
                    requests: 8
                    warmup: 2
                    trials: 2
                  - name: chat
                    endpoint: chat
                    workload: { input-tokens: 32, output-tokens: 4 }
                    rate: 20
                    requests: 6
                    warmup: 1
                    trials: 1
            """;
        var suite = SuiteParser.Parse(yaml).Suites[0];

        var document = await SuiteRunner.RunAsync(suite, _checkout.FullName, null, Ct);

        Assert.Equal(["cold_start", "short@c1", "short@c4", "chat@r20"], document.Scenarios.Select(s => s.Key));
        Assert.Equal(("serving", "tiny"), (document.Suite, document.Model));
        Assert.True(document.Scenarios[0].Metrics.Single(m => m.Name == "time_to_ready").Samples[0] >= 200);
        var c4 = document.Scenarios[2];
        Assert.Equal(2, c4.Trials.Count);
        Assert.Equal([8.0, 8.0], c4.Metrics.Single(m => m.Name == "completed_requests").Samples);
        Assert.Empty(ResultDocumentJson.Validate(document));
    }

    [Fact]
    public async Task Suite_FailsWithTheEnginesLastLines_WhenTheEngineDoesNotStart()
    {
        var suite = SuiteParser.Parse("""
            suites:
              - name: broken
                engine:
                  command: echo "model file not found" >&2; echo {port} > /dev/null; exit 1
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: s
                    workload: { input-tokens: 8, output-tokens: 2 }
                    concurrency: 1
            """).Suites[0];

        var error = await Assert.ThrowsAsync<EngineException>(() => SuiteRunner.RunAsync(suite, _checkout.FullName, null, Ct));

        Assert.Equal("the engine exited with code 1 before it was ready", error.Message);
        Assert.Contains("model file not found", error.LastLines);
    }

    [Fact]
    public async Task Suite_FailsWithTheEnginesLastLines_WhenTheEngineCrashesMidRun()
    {
        await File.WriteAllTextAsync(Path.Combine(_checkout.FullName, "engine.json"), """{ "decodeMsPerStep": 2, "crashAfterRequests": 4 }""", Ct);
        var suite = SuiteParser.Parse($$"""
            suites:
              - name: crashing
                engine:
                  command: {{EngineCommand("{checkout}/engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 30s
                scenarios:
                  - name: s
                    workload: { input-tokens: 8, output-tokens: 4 }
                    concurrency: 1
                    requests: 8
                    warmup: 1
                    trials: 2
            """).Suites[0];

        var error = await Assert.ThrowsAsync<EngineException>(() => SuiteRunner.RunAsync(suite, _checkout.FullName, null, Ct));

        // The cold start's request, the warm-up and two measured requests are served; the fifth kills it.
        Assert.Equal("the engine exited with code 1 during scenario 's'", error.Message);
        Assert.Equal("perfci-bench simulate: fatal: simulated crash on completion request 5 (crashAfterRequests: 4)", error.LastLines[^1]);
    }

    [Fact]
    public async Task Suite_FailsAsSoonAsTheEngineCrashes_NotWhenTheOpenLoopTrialsScheduleEnds()
    {
        await File.WriteAllTextAsync(Path.Combine(_checkout.FullName, "engine.json"), """{ "decodeMsPerStep": 2, "crashAfterRequests": 4 }""", Ct);
        // 400 requests at 20/s: a trial of 20 s by the schedule, whatever the engine does.
        var suite = SuiteParser.Parse($$"""
            suites:
              - name: crashing
                engine:
                  command: {{EngineCommand("{checkout}/engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 30s
                scenarios:
                  - name: open
                    workload: { input-tokens: 8, output-tokens: 4 }
                    rate: 20
                    requests: 400
                    warmup: 1
                    trials: 1
            """).Suites[0];
        var started = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<EngineException>(() => SuiteRunner.RunAsync(suite, _checkout.FullName, null, Ct));

        // The crash comes with the trial's third request (~0.1 s in); the engine's start and stop take a few seconds at most.
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal("the engine exited with code 1 during scenario 'open'", error.Message);
        Assert.Equal("perfci-bench simulate: fatal: simulated crash on completion request 5 (crashAfterRequests: 4)", error.LastLines[^1]);
    }
}
