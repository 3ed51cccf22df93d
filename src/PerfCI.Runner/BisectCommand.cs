using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;
using Spectre.Console;

namespace PerfCI.Runner;

/// <summary>
/// <c>perfci-runner bisect</c>: the server's bisect on one machine, offline. Each commit the search
/// asks for is checked out, built and measured by running only the chosen scenario (at one load point)
/// with the number of trials asked for; the metric's per-trial values are what the search decides on.
/// </summary>
internal static class BisectCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Command Create()
    {
        var repo = new Option<DirectoryInfo>("--repo") { Description = "A git repository (working copy or bare).", Required = true };
        var good = new Option<string>("--good") { Description = "A commit without the change.", Required = true };
        var bad = new Option<string>("--bad") { Description = "A later commit with the change.", Required = true };
        var suite = new Option<string?>("--suite") { Description = "Which suite of perfci.yml (required when it has several)." };
        var scenario = new Option<string>("--scenario") { Description = "The scenario to measure; NAME@c8 or NAME@r2.5 picks one of its load points.", Required = true };
        var metric = new Option<string>("--metric") { Description = "The metric to bisect, e.g. tpot_p50, ttft_p99, output_throughput.", Required = true };
        var trials = new Option<int>("--trials") { Description = "Trials at a commit the first time it is measured.", DefaultValueFactory = _ => 5 };
        var maxTrials = new Option<int>("--max-trials") { Description = "Cap on the trials at one commit (they double while undecided).", DefaultValueFactory = _ => 40 };
        var maxCommits = new Option<int>("--max-commits") { Description = "Budget: the most commits measured, the two ends included.", DefaultValueFactory = _ => 30 };
        var minChange = new Option<double>("--min-change") { Description = "Differences smaller than this fraction (0.02 = 2%) count as none.", DefaultValueFactory = _ => 0 };
        var fullDag = new Option<bool>("--full-dag") { Description = "Search every commit between the ends, merged branches too (like git bisect), not only the first-parent line." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write every step and the outcome as JSON here." };
        var verbose = new Option<bool>("--verbose") { Description = "Show the build's and the suite's own log lines." };
        var command = new Command("bisect", "Find the commit between --good and --bad that changed a metric, offline, measuring each commit on this machine.")
        {
            repo, good, bad, suite, scenario, metric, trials, maxTrials, maxCommits, minChange, fullDag, outFile, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output),
                // Colours for a terminal only: a log file or a test reads plain text.
                Ansi = parse.InvocationConfiguration.Output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
                Interactive = InteractionSupport.No,
            });
            // One line per step, whatever the terminal's width: a log or a pipe must not wrap them.
            console.Profile.Width = Math.Max(console.Profile.Width, 200);
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var request = new BisectRequest(
                    parse.GetValue(repo)!.FullName, parse.GetValue(good)!, parse.GetValue(bad)!, parse.GetValue(suite), parse.GetValue(scenario)!,
                    parse.GetValue(metric)!, parse.GetValue(fullDag), parse.GetValue(verbose));
                var definition = MetricCatalog.Find(request.Metric) ?? throw new OfflineInputException(
                    $"--metric {request.Metric} is not a metric PerfCI knows; for example {string.Join(", ", MetricCatalog.Known.Keys.Where(k => k.EndsWith("_p50", StringComparison.Ordinal) || k.EndsWith("throughput", StringComparison.Ordinal)))}.");
                var settings = new BisectSettings
                {
                    Direction = definition.Direction,
                    InitialTrials = parse.GetValue(trials),
                    MaxTrials = parse.GetValue(maxTrials),
                    MaxMeasuredCommits = parse.GetValue(maxCommits),
                    MinRelativeChange = parse.GetValue(minChange),
                };
                Validate(settings);
                var report = await RunAsync(request, settings, definition.Unit, console, ct);
                if (parse.GetValue(outFile) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(report, Json), ct);
                    console.MarkupLine($"[grey]wrote {Markup.Escape(file.FullName)}[/]");
                }
                return ExitCodes.Success;
            }
            catch (OfflineInputException e)
            {
                await error.WriteLineAsync($"perfci-runner bisect: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (InvalidOperationException e)
            {
                await error.WriteLineAsync($"perfci-runner bisect: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return command;
    }

    private sealed record BisectRequest(string Repository, string Good, string Bad, string? Suite, string Scenario, string Metric, bool FullDag, bool Verbose);

    /// <summary>What <c>--out</c> holds: the question, every step and the outcome.</summary>
    internal sealed record BisectReport(
        string Repository, string Good, string Bad, string Suite, string Scenario, string Metric, string Unit, MetricDirection Direction,
        BisectMode Mode, BisectSettings Settings, IReadOnlyList<BisectReportStep> Steps, BisectOutcome Outcome);

    internal sealed record BisectReportStep(string Sha, string? Subject, IReadOnlyList<double> Samples, double? Median, BisectDecision Decision, double? PValue, string? Reason);

    private static void Validate(BisectSettings settings)
    {
        if (settings.InitialTrials < 2)
            throw new OfflineInputException($"--trials {settings.InitialTrials}: at least 2 trials per commit are needed for a test.");
        if (settings.MaxTrials < settings.InitialTrials)
            throw new OfflineInputException($"--max-trials {settings.MaxTrials} is below --trials {settings.InitialTrials}.");
        if (settings.MaxMeasuredCommits < 3)
            throw new OfflineInputException($"--max-commits {settings.MaxMeasuredCommits}: the two ends and at least one commit between them are needed.");
        if (!(settings.MinRelativeChange is >= 0 and < 1))
            throw new OfflineInputException($"--min-change {settings.MinRelativeChange.ToString(CultureInfo.InvariantCulture)} must be a fraction between 0 and 1 (0.02 = 2%).");
    }

    private static async Task<BisectReport> RunAsync(BisectRequest request, BisectSettings settings, string unit, IAnsiConsole console, CancellationToken ct)
    {
        using var checkout = await OfflineCheckout.CloneAsync(request.Repository, ct);
        var good = await checkout.ResolveAsync(request.Good, "--good", ct);
        var bad = await checkout.ResolveAsync(request.Bad, "--bad", ct);
        var range = await RangeAsync(checkout, good, bad, request.FullDag, ct);

        // Check the question against the bad end's perfci.yml before measuring anything.
        await checkout.CheckoutAsync(bad, ct);
        var (_, key) = SelectScenario(await checkout.ReadSuiteAsync(request.Suite, bad, ct), request.Scenario, 1, bad);
        var suiteName = (await checkout.ReadSuiteAsync(request.Suite, bad, ct)).Name;
        var subjects = await SubjectsAsync(checkout, ct);

        console.MarkupLine($"Bisecting [bold]{Markup.Escape(request.Metric)}[/] of {Markup.Escape(suiteName)}/{Markup.Escape(key)}: " +
            $"{range.Candidates.Count} commits between good {Short(good)} and bad {Short(bad)} ({(range.IsLinear ? "first-parent" : "full DAG")}).");
        var search = new BisectSearch(range, settings);
        var outcome = await BisectDriver.RunAsync(search, (measure, token) => MeasureAsync(checkout, request, measure, console, token),
            new StepPrinter(console, unit, subjects), ct);

        PrintOutcome(console, outcome, unit, subjects);
        return new BisectReport(request.Repository, good, bad, suiteName, key, request.Metric, unit, settings.Direction,
            range.IsLinear ? BisectMode.FirstParent : BisectMode.FullDag, settings,
            [.. search.Steps.Select(s => new BisectReportStep(s.Sha, subjects.GetValueOrDefault(s.Sha), s.Samples,
                s.Samples.Count > 0 ? SampleSummary.Of(s.Samples).Median : null, s.Decision, s.PValue, s.Reason))],
            outcome);
    }

    /// <summary>The first-parent line from good to bad (good must be on it), or every commit between them.</summary>
    private static async Task<BisectRange> RangeAsync(OfflineCheckout checkout, string good, string bad, bool fullDag, CancellationToken ct)
    {
        if (good == bad)
            throw new OfflineInputException("--good and --bad are the same commit.");
        try
        {
            await Processes.GitAsync(["-C", checkout.Directory, "merge-base", "--is-ancestor", good, bad], ct);
        }
        catch (InvalidOperationException)
        {
            throw new OfflineInputException($"--good {Short(good)} is not an ancestor of --bad {Short(bad)}.");
        }
        var lines = (await Processes.GitAsync(["-C", checkout.Directory, "rev-list", "--parents", .. fullDag ? Array.Empty<string>() : ["--first-parent"], bad, $"^{good}"], ct))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .ToList();
        if (fullDag)
            return BisectRange.FromDag([.. lines.Select(l => new BisectCommit(l[0], l[1..])), new BisectCommit(good, [])], good, bad);
        // rev-list gives newest first; the oldest commit's first parent must be good itself.
        if (lines.Count == 0 || lines[^1].Length < 2 || lines[^1][1] != good)
            throw new OfflineInputException($"--good {Short(good)} is not on the first-parent line of --bad {Short(bad)} (it was merged from a branch); use --full-dag.");
        return BisectRange.FirstParent([good, .. lines.Select(l => l[0]).Reverse()]);
    }

    /// <summary>
    /// The suite narrowed to the one scenario and load point asked for, with the trials asked for; and
    /// the key its result carries (NAME@c8).
    /// </summary>
    private static (SuiteDefinition Suite, string Key) SelectScenario(SuiteDefinition suite, string wanted, int trials, string sha)
    {
        var at = wanted.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? wanted : wanted[..at];
        var scenario = suite.Scenarios.FirstOrDefault(s => s.Name == name) ?? throw new OfflineInputException(
            $"--scenario {wanted}: suite {suite.Name} at {Short(sha)} has no scenario {name}; it has {string.Join(", ", suite.Scenarios.Select(s => s.Name))}.");
        var points = scenario.LoadPoints().Select(p => (Point: p, Key: new ScenarioResult { Name = name, Concurrency = p.Concurrency, RequestRate = p.Rate }.Key)).ToList();
        var chosen = at < 0
            ? points.Count == 1 ? points[0] : throw new OfflineInputException($"--scenario {wanted} has several load points; choose one: {string.Join(", ", points.Select(p => p.Key))}.")
            : points.FirstOrDefault(p => p.Key == wanted) is { Key: not null } found ? found
            : throw new OfflineInputException($"--scenario {wanted} is not a load point of {name}; choose one of {string.Join(", ", points.Select(p => p.Key))}.");
        var only = scenario with
        {
            Trials = trials,
            Concurrency = chosen.Point.Concurrency is { } c ? [c] : [],
            Rate = chosen.Point.Rate is { } r ? [r] : [],
        };
        return (suite with { Scenarios = [only] }, chosen.Key);
    }

    /// <summary>
    /// One measurement: check out, build, run the scenario. A commit whose perfci.yml lacks the scenario,
    /// or that fails to build or run, is skipped; a metric the scenario does not produce is the user's
    /// mistake and stops the bisect.
    /// </summary>
    private static async Task<BisectMeasurement> MeasureAsync(OfflineCheckout checkout, BisectRequest request, MeasureRequest measure, IAnsiConsole console, CancellationToken ct)
    {
        console.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss} measuring {Short(measure.Sha)}: {measure.Trials} trials[/]");
        var log = request.Verbose ? (Action<string>)(line => console.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}   {Markup.Escape(line)}[/]")) : _ => { };
        ResultDocument document;
        string key;
        try
        {
            await checkout.CheckoutAsync(measure.Sha, ct);
            (var suite, key) = SelectScenario(await checkout.ReadSuiteAsync(request.Suite, measure.Sha, ct), request.Scenario, measure.Trials, measure.Sha);
            document = await checkout.RunSuiteAsync(suite, measure.Sha, new LogProgress(log), log, ct);
        }
        catch (Exception e) when (e is OfflineInputException or EngineException or InvalidOperationException)
        {
            var reason = e is EngineException engine && engine.LastLines.Count > 0 ? $"{e.Message}: {engine.LastLines[^1]}" : e.Message;
            console.MarkupLine($"[yellow]  {Short(measure.Sha)} skipped: {Markup.Escape(reason)}[/]");
            return BisectMeasurement.Failed(reason);
        }
        var result = document.Scenarios.FirstOrDefault(s => s.Key == key)
            ?? throw new InvalidOperationException($"the suite's results at {Short(measure.Sha)} hold no scenario {key}.");
        var metric = result.Metrics.FirstOrDefault(m => m.Name == request.Metric)
            ?? throw new OfflineInputException($"--metric {request.Metric} is not measured by scenario {key}; it measures {string.Join(", ", result.Metrics.Select(m => m.Name))}.");
        return BisectMeasurement.Measured(metric.Samples);
    }

    private static async Task<Dictionary<string, string>> SubjectsAsync(OfflineCheckout checkout, CancellationToken ct) =>
        (await Processes.GitAsync(["-C", checkout.Directory, "log", "--all", "--format=%H %s"], ct))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().ElementAtOrDefault(1) ?? "", StringComparer.Ordinal);

    private static void PrintOutcome(IAnsiConsole console, BisectOutcome outcome, string unit, Dictionary<string, string> subjects)
    {
        console.WriteLine();
        var change = outcome.RelativeChange is { } relative
            ? Invariant($"{Percent(relative)} ({Percent(outcome.RelativeChangeLower!.Value)} to {Percent(outcome.RelativeChangeUpper!.Value)})")
            : "";
        switch (outcome.Kind)
        {
            case BisectOutcomeKind.Culprit:
                console.MarkupLine($"[bold red]culprit[/] [bold]{Markup.Escape(outcome.Culprit!)}[/] {Markup.Escape(subjects.GetValueOrDefault(outcome.Culprit!, ""))}");
                console.MarkupLine($"  change {Markup.Escape(change)}, last good {Short(outcome.LastGood)}");
                break;
            case BisectOutcomeKind.NoDifference:
                console.MarkupLine($"[bold green]no difference[/] between good and bad {Markup.Escape(change)}: no commit is blamed");
                break;
            default:
                console.MarkupLine($"[bold yellow]{(outcome.Kind == BisectOutcomeKind.Range ? "range" : "budget exhausted")}[/]: {outcome.RemainingRange.Count} commits after {Short(outcome.LastGood)} up to {Short(outcome.FirstBad)}, change {Markup.Escape(change)}");
                foreach (var sha in outcome.RemainingRange)
                    console.MarkupLine($"  {Markup.Escape(sha)} {Markup.Escape(subjects.GetValueOrDefault(sha, ""))}");
                break;
        }
        console.MarkupLine($"  {Markup.Escape(outcome.Reason)}");
        console.MarkupLine($"  {outcome.MeasuredCommits} commits measured ({Markup.Escape(unit)})");
    }

    /// <summary>A line per step: the commit, its trials and median, the decision and its p-value.</summary>
    private sealed class StepPrinter(IAnsiConsole console, string unit, Dictionary<string, string> subjects) : IProgress<BisectStepResult>
    {
        public void Report(BisectStepResult value)
        {
            var (colour, text) = value.Decision switch
            {
                BisectDecision.SameAsGood => ("green", "same as good"),
                BisectDecision.SameAsBad => ("red", "same as bad"),
                BisectDecision.Unknown => ("yellow", "unknown"),
                BisectDecision.Skipped => ("yellow", "skipped"),
                _ => ("grey", "undecided, more trials"),
            };
            var median = value.Samples.Count > 0 ? Invariant($"median {SampleSummary.Of(value.Samples).Median,10:0.###} {unit}") : "";
            var p = value.PValue is { } pValue ? Invariant($"p = {pValue:G2}") : "";
            var subject = subjects.GetValueOrDefault(value.Sha, "");
            console.MarkupLine($"{Short(value.Sha)}  {value.Samples.Count,3} trials  {Markup.Escape(median)}  [{colour}]{text,-22}[/] {Markup.Escape(p),-12} [grey]{Markup.Escape(subject.Length > 50 ? subject[..50] : subject)}[/]");
        }
    }

    private sealed class LogProgress(Action<string> log) : ISuiteProgress
    {
        public void Log(string line) => log(line);

        public IProgress<int>? StartScenario(ScenarioSpec spec, int trial) => null;
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    private static string Percent(double fraction) => (fraction > 0 ? "+" : "") + (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
