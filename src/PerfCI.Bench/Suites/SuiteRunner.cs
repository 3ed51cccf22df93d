using PerfCI.Bench.Client;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Metrics;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;

namespace PerfCI.Bench.Suites;

/// <summary>Progress of a suite, for a live display or a job log.</summary>
public interface ISuiteProgress
{
    void Log(string line);
    IProgress<int>? StartScenario(ScenarioSpec spec, int trial);
}

/// <summary>
/// Runs one suite of a perfci.yml against its engine: start the engine (cold start), every
/// scenario at every load point with warm-up and trials, stop the engine's whole process group.
/// The result document is what the runner uploads. An engine that dies mid-run fails the suite
/// with its last log lines, as soon as it dies: the running trial is cancelled.
/// </summary>
public static class SuiteRunner
{
    public static async Task<ResultDocument> RunAsync(SuiteDefinition definition, string checkout, ISuiteProgress? progress, CancellationToken cancellationToken)
    {
        var port = definition.Engine.Port ?? Bench.FreePort.Next();
        var suite = definition.WithPlaceholders(new PlaceholderValues(port, definition.Model, checkout));
        var baseUrl = new Uri(suite.Engine.Url.TrimEnd('/') + "/");
        var command = new EngineCommand(suite.Engine.Command, new Uri(suite.Engine.Ready), suite.Engine.Timeout)
        {
            WorkingDirectory = checkout,
            Environment = suite.Environment,
        };
        var started = DateTimeOffset.UtcNow;
        using var client = new OpenAiStreamingClient(baseUrl, suite.Scenarios.Select(s => s.RequestTimeout).DefaultIfEmpty(TimeSpan.FromMinutes(10)).Max());
        string? model = null;
        async Task<byte[]> FirstRequestAsync(CancellationToken ct)
        {
            model = suite.Engine.ServedModel ?? await ModelDiscovery.FirstModelAsync(baseUrl, ct) ?? suite.Model ?? "default";
            return RequestBodies.Completion(model, "hello", 1, exactLength: false, continuousUsage: false);
        }
        progress?.Log($"starting the engine: {suite.Engine.Command}");
        var (engine, coldStart) = await ColdStart.StartAsync(command, client, "v1/completions", FirstRequestAsync, cancellationToken);
        await using var _ = engine;
        progress?.Log($"engine ready after {coldStart.TimeToReadyMs:0} ms, first completion after {coldStart.ColdStartMs:0} ms");

        var generator = new LoadGenerator(client);
        var scenarios = new List<ScenarioResult> { coldStart.ToScenario() };
        foreach (var scenario in suite.Scenarios)
        {
            foreach (var point in scenario.LoadPoints())
            {
                var spec = ToSpec(scenario, point, model!, checkout);
                var trials = new List<TrialRun>();
                for (var trial = 0; trial < spec.Trials; trial++)
                {
                    var run = await RunTrialWatchingAsync(engine, generator, spec, trial, progress, cancellationToken);
                    // A dying engine refuses connections a moment before the system reports it gone: a
                    // trial whose requests failed fast can end inside that moment, so give it a little.
                    if (run is not null && run.Metrics.Failed + run.Metrics.Incomplete > 0 && !engine.HasExited)
                        await Task.WhenAny(engine.Exited, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken));
                    if (run is null || engine.HasExited)
                        throw new EngineException($"the engine exited with code {engine.ExitCode} during scenario '{scenario.Name}'", await engine.FinalLinesAsync());
                    trials.Add(run);
                    progress?.Log($"{scenario.Name} {Describe(point)} trial {trial + 1}/{spec.Trials}: {run.Metrics.Completed} completed, {run.Metrics.Failed + run.Metrics.Incomplete} failed");
                }
                scenarios.Add(ScenarioResults.From(spec, trials));
            }
        }
        await engine.StopAsync(suite.Engine.StopGrace ?? TimeSpan.FromSeconds(10));
        progress?.Log("engine stopped");
        return new ResultDocument
        {
            Source = new ResultSource("perfci-bench", typeof(SuiteRunner).Assembly.GetName().Version?.ToString(3)),
            Suite = suite.Name,
            Model = model,
            StartedAt = started,
            FinishedAt = DateTimeOffset.UtcNow,
            Scenarios = scenarios,
        };
    }

    /// <summary>
    /// One trial, cancelled as soon as the engine exits (null then). An open loop keeps to its
    /// schedule whatever the server does, so without this a crash early in a long trial would
    /// hold the job for the rest of the trial, sending to a dead port.
    /// </summary>
    private static async Task<TrialRun?> RunTrialWatchingAsync(
        EngineProcess engine, LoadGenerator generator, ScenarioSpec spec, int trial, ISuiteProgress? progress, CancellationToken cancellationToken)
    {
        using var engineAlive = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = generator.RunTrialAsync(spec, trial, progress?.StartScenario(spec, trial), engineAlive.Token);
        if (await Task.WhenAny(running, engine.Exited) == running)
            return await running;
        await engineAlive.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The trial stopped because the engine did; the caller reports the engine.
        }
        return null;
    }

    public static ScenarioSpec ToSpec(ScenarioDefinition scenario, LoadPoint point, string model, string checkout)
    {
        var workload = scenario.Workload;
        var dataset = workload.Dataset is { } path ? PromptsFile.Load(Path.GetFullPath(path, checkout)) : null;
        var load = point.Concurrency is { } concurrency
            ? LoadSpec.Closed(concurrency)
            : LoadSpec.Open(point.Rate!.Value, scenario.Burstiness, scenario.MaxConcurrency);
        return new ScenarioSpec(
            scenario.Name,
            scenario.Endpoint == ScenarioEndpoint.Chat ? Endpoint.Chat : Endpoint.Completions,
            model,
            new WorkloadSpec(workload.InputTokens ?? 0, workload.OutputTokens ?? 128, workload.RangeRatio, workload.SharedPrefixTokens, workload.Seed)
            {
                Prompts = dataset,
                Dataset = workload.Dataset,
            },
            load,
            scenario.Requests,
            scenario.Warmup,
            scenario.Trials)
        {
            Slo = new Slo(scenario.Slo.TtftMs, scenario.Slo.TpotMs, scenario.Slo.E2eMs, scenario.Slo.ItlMs),
            ExactOutputLength = scenario.ExactOutputLength,
            RequestTimeout = scenario.RequestTimeout,
        };
    }

    private static string Describe(LoadPoint point) =>
        point.Concurrency is { } c ? $"concurrency {c}" : FormattableString.Invariant($"rate {point.Rate:0.##}/s");
}
