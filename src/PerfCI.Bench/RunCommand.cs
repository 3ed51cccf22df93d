using System.CommandLine;
using System.Globalization;
using PerfCI.Bench.Client;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Metrics;
using PerfCI.Core.Results;
using Spectre.Console;

namespace PerfCI.Bench;

/// <summary><c>perfci-bench run</c>: benchmark an OpenAI-compatible server at one or more load points.</summary>
internal static class RunCommand
{
    /// <summary>The engine did not start, was not ready in time, or failed its first request.</summary>
    public const int ExitEngineFailed = 4;

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Base URL of the server, e.g. http://127.0.0.1:8000", Required = true };
        var endpoint = new Option<Endpoint>("--endpoint") { Description = "completions or chat", DefaultValueFactory = _ => Endpoint.Completions };
        var model = new Option<string?>("--model") { Description = "Model name to send (default: the first of /v1/models)." };
        var name = new Option<string>("--name") { Description = "Scenario name.", DefaultValueFactory = _ => "serving" };
        var input = new Option<int>("--input-tokens") { DefaultValueFactory = _ => 512 };
        var output = new Option<int>("--output-tokens") { DefaultValueFactory = _ => 128 };
        var rangeRatio = new Option<double>("--range-ratio") { Description = "Draw lengths uniformly within +/- this fraction.", DefaultValueFactory = _ => 0 };
        var sharedPrefix = new Option<int>("--shared-prefix-tokens") { DefaultValueFactory = _ => 0 };
        var prompts = new Option<FileInfo?>("--prompts") { Description = "Prompts file: ShareGPT JSON/JSONL or JSONL of {\"prompt\", \"output_tokens\"}." };
        var concurrency = new Option<int[]>("--concurrency") { Description = "Closed-loop load points, e.g. --concurrency 1 4 16", AllowMultipleArgumentsPerToken = true };
        var rate = new Option<double[]>("--rate") { Description = "Open-loop load points in requests/s, e.g. --rate 5 10", AllowMultipleArgumentsPerToken = true };
        var burstiness = new Option<double>("--burstiness") { Description = "Gamma shape of open-loop gaps (1 = Poisson).", DefaultValueFactory = _ => 1 };
        var maxConcurrency = new Option<int?>("--max-concurrency") { Description = "Cap on requests in flight in an open loop." };
        var requests = new Option<int>("--requests") { DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 5 };
        var trials = new Option<int>("--trials") { DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var sloTtft = new Option<double?>("--slo-ttft-ms");
        var sloTpot = new Option<double?>("--slo-tpot-ms");
        var sloE2e = new Option<double?>("--slo-e2e-ms");
        var sloItl = new Option<double?>("--slo-itl-ms");
        var noExact = new Option<bool>("--no-exact-length") { Description = "Do not send ignore_eos/min_tokens." };
        var noContinuous = new Option<bool>("--no-continuous-usage") { Description = "Do not ask for per-chunk usage (continuous_usage_stats)." };
        var timeout = new Option<double>("--timeout-s") { Description = "Per-request timeout.", DefaultValueFactory = _ => 600 };
        var engineCommand = new Option<string?>("--engine-command") { Description = "Start the engine with this shell command first (its cold start is measured; it is stopped at the end)." };
        var engineReady = new Option<string?>("--engine-ready-url") { Description = "Polled until 2xx after --engine-command (default: URL/health)." };
        var engineTimeout = new Option<double>("--engine-timeout-s") { Description = "How long the engine may take to be ready.", DefaultValueFactory = _ => 600 };
        var json = new Option<bool>("--json") { Description = "Print the result document as JSON instead of the table." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Also write the result document to this file." };

        var command = new Command("run", "Benchmark an OpenAI-compatible streaming server.")
        {
            url, endpoint, model, name, input, output, rangeRatio, sharedPrefix, prompts, concurrency, rate, burstiness, maxConcurrency,
            requests, warmup, trials, seed, sloTtft, sloTpot, sloE2e, sloItl, noExact, noContinuous, timeout, engineCommand, engineReady, engineTimeout, json, outFile,
        };
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<string>();
            if (parse.GetValue(input) < 1 || parse.GetValue(output) < 1)
                problems.Add("--input-tokens and --output-tokens must be at least 1");
            if (parse.GetValue(requests) < 1)
                problems.Add("--requests must be at least 1");
            if (parse.GetValue(trials) < 1)
                problems.Add("--trials must be at least 1");
            if ((parse.GetValue(concurrency) ?? []).Any(c => c < 1))
                problems.Add("--concurrency values must be positive integers");
            if ((parse.GetValue(rate) ?? []).Any(r => !(r > 0) || double.IsInfinity(r)))
                problems.Add("--rate values must be positive numbers of requests per second");
            if (!(parse.GetValue(burstiness) > 0))
                problems.Add("--burstiness must be positive");
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
                problems.Add($"--url must be an http(s) URL, was '{parse.GetValue(url)}'");
            IReadOnlyList<DatasetPrompt>? dataset = null;
            if (parse.GetValue(prompts) is { } promptsFile)
            {
                try
                {
                    dataset = PromptsFile.Load(promptsFile.FullName);
                }
                catch (FormatException e)
                {
                    problems.Add(e.Message);
                }
            }
            if (problems.Count > 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci-bench run: {string.Join("; ", problems)}.");
                return BenchCommandLine.ExitBadInput;
            }
            var console = parse.GetValue(json) ? null : AnsiConsole.Console;
            var loads = (parse.GetValue(concurrency) ?? []).Select(LoadSpec.Closed)
                .Concat((parse.GetValue(rate) ?? []).Select(r => LoadSpec.Open(r, parse.GetValue(burstiness), parse.GetValue(maxConcurrency))))
                .ToList();
            if (loads.Count == 0)
                loads.Add(LoadSpec.Closed(1));

            using var client = new OpenAiStreamingClient(baseUrl!, TimeSpan.FromSeconds(parse.GetValue(timeout)));
            EngineProcess? engine = null;
            ColdStartResult? coldStart = null;
            if (parse.GetValue(engineCommand) is { } commandLine)
            {
                var ready = new Uri(parse.GetValue(engineReady) ?? new Uri(baseUrl!, "health").ToString());
                async Task<byte[]> FirstRequestAsync(CancellationToken token) => RequestBodies.Completion(
                    parse.GetValue(model) ?? await DiscoverModelAsync(baseUrl!, token), "hello", 1, exactLength: false, continuousUsage: false);
                try
                {
                    (engine, coldStart) = await ColdStart.StartAsync(
                        new EngineCommand(commandLine, ready, TimeSpan.FromSeconds(parse.GetValue(engineTimeout))), client, "v1/completions", FirstRequestAsync, ct);
                }
                catch (EngineException e)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci-bench run: {e.Message}. Last lines of the engine:");
                    foreach (var line in e.LastLines.TakeLast(30))
                        await parse.InvocationConfiguration.Error.WriteLineAsync($"  {line}");
                    return ExitEngineFailed;
                }
            }
            await using var engineLifetime = engine;
            var modelName = parse.GetValue(model) ?? await DiscoverModelAsync(baseUrl!, ct);
            var workload = new WorkloadSpec(parse.GetValue(input), parse.GetValue(output), parse.GetValue(rangeRatio), parse.GetValue(sharedPrefix), parse.GetValue(seed))
            {
                Prompts = dataset,
                Dataset = parse.GetValue(prompts)?.Name,
            };
            var slo = new Slo(parse.GetValue(sloTtft), parse.GetValue(sloTpot), parse.GetValue(sloE2e), parse.GetValue(sloItl));
            var specs = loads.Select(load => new ScenarioSpec(parse.GetValue(name)!, parse.GetValue(endpoint), modelName, workload, load,
                parse.GetValue(requests), parse.GetValue(warmup), parse.GetValue(trials))
            {
                Slo = slo,
                ExactOutputLength = !parse.GetValue(noExact),
                ContinuousUsage = !parse.GetValue(noContinuous),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            }).ToList();

            var started = DateTimeOffset.UtcNow;
            var generator = new LoadGenerator(client);
            var scenarios = new List<ScenarioResult>();
            if (console is null)
            {
                foreach (var spec in specs)
                    scenarios.Add(await RunScenarioAsync(generator, spec, null, ct));
            }
            else
            {
                await console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        foreach (var spec in specs)
                        {
                            var task = progress.AddTask($"{spec.Name} {Describe(spec.Load)}", maxValue: spec.Requests * spec.Trials);
                            scenarios.Add(await RunScenarioAsync(generator, spec, task, ct));
                            task.StopTask();
                        }
                    });
            }

            if (coldStart is not null)
                scenarios.Insert(0, coldStart.ToScenario());
            var document = new ResultDocument
            {
                Source = new ResultSource("perfci-bench", typeof(RunCommand).Assembly.GetName().Version?.ToString(3)),
                Model = modelName,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Scenarios = scenarios,
            };
            var text = ResultDocumentJson.Serialize(document);
            if (parse.GetValue(outFile) is { } file)
                await File.WriteAllTextAsync(file.FullName, text, ct);
            if (console is null)
                await parse.InvocationConfiguration.Output.WriteLineAsync(text);
            else
                ResultTable.Write(console, document);
            return scenarios.SelectMany(s => s.Trials).All(t => t.Valid) ? 0 : 3;
        });
        return command;
    }

    private static async Task<ScenarioResult> RunScenarioAsync(LoadGenerator generator, ScenarioSpec spec, ProgressTask? task, CancellationToken ct)
    {
        var runs = new List<TrialRun>();
        for (var trial = 0; trial < spec.Trials; trial++)
        {
            var offset = trial * spec.Requests;
            var progress = task is null ? null : new Progress<int>(done => task.Value = offset + done);
            runs.Add(await generator.RunTrialAsync(spec, trial, progress, ct));
        }
        return ScenarioResults.From(spec, runs);
    }

    private static string Describe(LoadSpec load) => load.Kind == ArrivalKind.ClosedLoop
        ? $"concurrency {load.Concurrency}"
        : string.Create(CultureInfo.InvariantCulture, $"rate {load.RequestRate:0.##}/s");

    private static async Task<string> DiscoverModelAsync(Uri url, CancellationToken ct) =>
        await ModelDiscovery.FirstModelAsync(url, ct)
        ?? throw new InvalidOperationException($"{url}v1/models lists no model; pass --model.");
}
