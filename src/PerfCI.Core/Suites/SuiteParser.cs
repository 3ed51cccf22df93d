using System.Globalization;
using System.Text.RegularExpressions;
using PerfCI.Core.Results;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PerfCI.Core.Suites;

/// <summary>
/// Reads <c>perfci.yml</c> into a <see cref="SuiteFile"/>, checking every field. A file with problems throws
/// <see cref="SuiteDefinitionException"/> listing all of them, each with its line, column and field path.
/// Pure: it reads only the string it is given.
/// </summary>
public static partial class SuiteParser
{
    public const string DefaultFileName = "perfci.yml";

    private static readonly string[] FileKeys = ["suites"];
    private static readonly string[] SuiteKeys = ["name", "runs-on", "build", "engine", "model", "environment", "scenarios", "thresholds", "timeout"];
    private static readonly string[] EngineKeys = ["command", "ready", "url", "timeout", "port", "stop-grace", "served-model"];
    private static readonly string[] ScenarioKeys =
    [
        "name", "endpoint", "workload", "concurrency", "rate", "burstiness", "max-concurrency",
        "requests", "warmup", "trials", "slo", "request-timeout", "exact-output-length",
    ];
    private static readonly string[] OpenLoopOnlyKeys = ["burstiness", "max-concurrency"];
    private static readonly string[] WorkloadKeys = ["input-tokens", "output-tokens", "range-ratio", "shared-prefix-tokens", "dataset", "seed"];
    private static readonly string[] SloKeys = ["ttft-ms", "tpot-ms", "e2e-ms", "itl-ms"];
    private static readonly string[] ThresholdKeys = ["default", .. MetricCatalog.Known.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Values the URL checks substitute, so that a template such as <c>http://127.0.0.1:{port}/health</c> can be judged.</summary>
    private static readonly PlaceholderValues Sample = new(8000, "model", "/checkout");

    /// <exception cref="SuiteDefinitionException">The file is not valid YAML or not a valid suite file.</exception>
    public static SuiteFile Parse(string yaml, string fileName = DefaultFileName)
    {
        var reader = new YamlFieldReader(fileName);
        var file = Read(yaml ?? "", reader);
        if (reader.Errors.Count > 0 || file is null)
        {
            throw new SuiteDefinitionException(
                [.. reader.Errors.Select((e, i) => (e, i)).OrderBy(x => x.e.Line).ThenBy(x => x.e.Column).ThenBy(x => x.i).Select(x => x.e)]);
        }
        return file;
    }

    private static SuiteFile? Read(string yaml, YamlFieldReader reader)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            reader.Error(e.Start, "", $"invalid YAML: {YamlMessage(e)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up without a message on some unclosed flow collections.
            reader.Error(scanner.CurrentPosition, "", "invalid YAML: an unclosed '[' or '{', or a value that cannot follow it");
            return null;
        }
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        if (root is null || YamlFieldReader.IsNull(root))
        {
            reader.Error(root?.Start ?? Mark.Empty, "", "the file is empty; expected a 'suites:' list");
            return null;
        }
        for (var i = 1; i < stream.Documents.Count; i++)
            reader.Error(stream.Documents[i].RootNode, "", "expected one YAML document; remove the '---' and what follows, or merge the suites");

        var file = reader.Map(root, "", FileKeys, "a mapping with a 'suites:' list");
        if (file is null)
            return null;
        if (!file.Has("suites") || YamlFieldReader.IsNull(file.Value("suites")!))
        {
            reader.Error(file.KeyNode("suites")?.Start ?? root.Start, "suites", "required: a list of suites, each with a name, an engine and scenarios");
            return null;
        }
        if (file.Value("suites") is not YamlSequenceNode list || list.Children.Count == 0)
        {
            var node = file.Value("suites")!;
            reader.Error(node, "suites", $"expected a list of suites{(node is YamlSequenceNode ? ", got an empty list" : YamlFieldReader.Got(node))}");
            return null;
        }

        var suites = new List<SuiteDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Children.Count; i++)
        {
            var suite = ReadSuite(reader, list.Children[i], $"suites[{i}]", names);
            if (suite is not null)
                suites.Add(suite);
        }
        return new SuiteFile { Suites = suites };
    }

    private static SuiteDefinition? ReadSuite(YamlFieldReader reader, YamlNode node, string path, HashSet<string> suiteNames)
    {
        var map = reader.Map(node, path, SuiteKeys, "a suite (a mapping with name, engine and scenarios)");
        if (map is null)
            return null;
        var name = ReadName(reader, map, suiteNames, "suite");
        var runsOn = reader.StringList(map, "runs-on", "a list of runner labels") ?? [];
        var build = reader.String(map, "build");
        var model = reader.String(map, "model");
        var environment = ReadEnvironment(reader, map);
        var (engine, engineMap) = ReadEngine(reader, map);
        var scenarios = ReadScenarios(reader, map);
        var thresholds = map.Has("thresholds") ? ReadThresholds(reader, map.Value("thresholds")!, map.PathOf("thresholds")) : new SuiteThresholds();
        var timeout = reader.Duration(map, "timeout");

        if (engine is not null && engineMap is not null)
            CheckPlaceholders(reader, map, engineMap, engine, model, build, environment);

        if (name is null || engine is null || scenarios is null || thresholds is null)
            return null;
        return new SuiteDefinition
        {
            Name = name,
            RunsOn = runsOn,
            Build = build,
            Engine = engine,
            Model = model,
            Environment = environment,
            Scenarios = scenarios,
            Thresholds = thresholds,
            Timeout = timeout,
        };
    }

    private static string? ReadName(YamlFieldReader reader, YamlMap map, HashSet<string> taken, string what, string? scope = null)
    {
        var name = reader.String(map, "name", $"the {what}'s name");
        if (name is null)
            return null;
        if (!NamePattern().IsMatch(name))
        {
            reader.ValueError(map, "name", $"expected a name of letters, digits, '.', '_' and '-' (at most 100, it names series), got '{name}'");
            return null;
        }
        if (!taken.Add(name))
        {
            reader.ValueError(map, "name", $"another {what}{scope} is already named '{name}'");
            return null;
        }
        return name;
    }

    private static Dictionary<string, string> ReadEnvironment(YamlFieldReader reader, YamlMap map)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!map.Has("environment") || YamlFieldReader.IsNull(map.Value("environment")!))
            return environment;
        var path = map.PathOf("environment");
        if (map.Value("environment") is not YamlMappingNode variables)
        {
            reader.Error(map.Value("environment")!, path, $"expected a mapping of variable names to values{YamlFieldReader.Got(map.Value("environment")!)}");
            return environment;
        }
        foreach (var (key, value) in variables.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!EnvironmentName().IsMatch(name))
            {
                reader.Error(key, YamlFieldReader.Join(path, name), $"expected a variable name of letters, digits and '_', got {YamlFieldReader.Describe(key)}");
                continue;
            }
            if (value is not YamlScalarNode { Value: { } text })
            {
                reader.Error(value, YamlFieldReader.Join(path, name), $"expected a string value{YamlFieldReader.Got(value)}");
                continue;
            }
            environment[name] = YamlFieldReader.IsNull(value) ? "" : text;
        }
        return environment;
    }

    private static (EngineDefinition? Engine, YamlMap? Map) ReadEngine(YamlFieldReader reader, YamlMap suite)
    {
        if (!suite.Has("engine") || YamlFieldReader.IsNull(suite.Value("engine")!))
        {
            reader.Error(suite.KeyNode("engine")?.Start ?? suite.Node.Start, suite.PathOf("engine"), "required: how to start the engine (command and ready)");
            return (null, null);
        }
        var map = reader.Map(suite.Value("engine")!, suite.PathOf("engine"), EngineKeys, "a mapping with command and ready");
        if (map is null)
            return (null, null);
        var command = reader.String(map, "command", "the shell command that starts the engine");
        var ready = reader.String(map, "ready", "a URL polled until the engine answers, e.g. http://127.0.0.1:{port}/health");
        var url = reader.String(map, "url");
        var timeout = reader.Duration(map, "timeout");
        var port = reader.Int(map, "port", 1, "a port from 1 to 65535");
        if (port > 65535)
        {
            reader.ValueError(map, "port", $"expected a port from 1 to 65535, got '{port}'");
            port = null;
        }
        var stopGrace = reader.Duration(map, "stop-grace");
        var servedModel = reader.String(map, "served-model");
        if (ready is not null && !IsHttpUrl(ready))
            reader.ValueError(map, "ready", $"expected an http(s) URL, got '{ready}'");
        if (url is not null && !IsHttpUrl(url))
            reader.ValueError(map, "url", $"expected an http(s) URL, got '{url}'");
        if (command is null || ready is null)
            return (null, map);
        return (new EngineDefinition
        {
            Command = command,
            Ready = ready,
            Url = url ?? EngineDefinition.DefaultUrl,
            Timeout = timeout ?? EngineDefinition.DefaultTimeout,
            Port = port,
            StopGrace = stopGrace,
            ServedModel = servedModel,
        }, map);
    }

    private static bool IsHttpUrl(string template)
    {
        string url;
        try
        {
            url = Placeholders.Substitute(template, Sample);
        }
        catch (ArgumentException)
        {
            return false;
        }
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;
    }

    /// <summary>{model} needs a model; a port the runner picks must reach the engine.</summary>
    private static void CheckPlaceholders(YamlFieldReader reader, YamlMap suite, YamlMap engineMap, EngineDefinition engine, string? model,
        string? build, Dictionary<string, string> environment)
    {
        if (model is null)
        {
            void NeedsModel(YamlMap map, string key, string? value)
            {
                if (Placeholders.Uses(value, Placeholders.Model))
                    reader.ValueError(map, key, $"uses {Placeholders.Model} but the suite has no model");
            }
            NeedsModel(engineMap, "command", engine.Command);
            NeedsModel(engineMap, "ready", engine.Ready);
            NeedsModel(engineMap, "url", engineMap.Has("url") ? engine.Url : null);
            NeedsModel(engineMap, "served-model", engine.ServedModel);
            NeedsModel(suite, "build", build);
            foreach (var (name, value) in environment.Where(e => Placeholders.Uses(e.Value, Placeholders.Model)))
            {
                var key = ((YamlMappingNode)suite.Value("environment")!).Children.First(c => ((YamlScalarNode)c.Key).Value == name);
                reader.Error(key.Value, $"{suite.PathOf("environment")}.{name}", $"uses {Placeholders.Model} but the suite has no model");
            }
        }
        if (engine.Port is null
            && !Placeholders.Uses(engine.Command, Placeholders.Port)
            && !environment.Values.Any(v => Placeholders.Uses(v, Placeholders.Port)))
        {
            reader.ValueError(engineMap, "command",
                $"the runner picks a free port for the engine: put {Placeholders.Port} in the command (or in an environment variable), or set engine.port");
        }
    }

    private static List<ScenarioDefinition>? ReadScenarios(YamlFieldReader reader, YamlMap suite)
    {
        const string expected = "a list of scenarios, each with a name, a workload and concurrency or rate";
        var path = suite.PathOf("scenarios");
        if (!suite.Has("scenarios") || YamlFieldReader.IsNull(suite.Value("scenarios")!))
        {
            reader.Error(suite.KeyNode("scenarios")?.Start ?? suite.Node.Start, path, $"required: {expected}");
            return null;
        }
        if (suite.Value("scenarios") is not YamlSequenceNode list || list.Children.Count == 0)
        {
            var node = suite.Value("scenarios")!;
            reader.Error(node, path, $"expected {expected}{(node is YamlSequenceNode ? ", got an empty list" : YamlFieldReader.Got(node))}");
            return null;
        }
        var scenarios = new List<ScenarioDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (ReadScenario(reader, list.Children[i], $"{path}[{i}]", names) is { } scenario)
                scenarios.Add(scenario);
        }
        return scenarios.Count == list.Children.Count ? scenarios : null;
    }

    private static ScenarioDefinition? ReadScenario(YamlFieldReader reader, YamlNode node, string path, HashSet<string> names)
    {
        var map = reader.Map(node, path, ScenarioKeys, "a scenario (a mapping with name, workload and concurrency or rate)");
        if (map is null)
            return null;
        var name = ReadName(reader, map, names, "scenario", " in this suite");
        var endpoint = ReadEndpoint(reader, map);
        var workload = ReadWorkload(reader, map);
        var concurrency = reader.List(map, "concurrency", "a list of positive integers", ParsePositiveInt, allowSingle: true);
        var rate = reader.List(map, "rate", "a list of positive numbers of requests per second", ParsePositiveNumber, allowSingle: true);
        var burstiness = reader.Number(map, "burstiness", b => b > 0, "a positive number (1 = Poisson arrivals)");
        var maxConcurrency = reader.Int(map, "max-concurrency", 1, "a positive integer");
        var requests = reader.Int(map, "requests", 1, "a positive integer");
        var warmup = reader.Int(map, "warmup", 0, "a non-negative integer");
        var trials = reader.Int(map, "trials", 1, "a positive integer");
        var slo = map.Has("slo") ? ReadSlo(reader, map) : new SloDefinition();
        var requestTimeout = reader.Duration(map, "request-timeout");
        var exact = reader.Bool(map, "exact-output-length");

        var hasConcurrency = map.Has("concurrency") && !YamlFieldReader.IsNull(map.Value("concurrency")!);
        var hasRate = map.Has("rate") && !YamlFieldReader.IsNull(map.Value("rate")!);
        if (hasConcurrency && hasRate)
        {
            reader.Error(map.KeyNode("rate")!, map.PathOf("rate"), "give either concurrency (closed loop) or rate (open loop), not both");
        }
        else if (!hasConcurrency && !hasRate)
        {
            reader.Error(map.Node, path, "needs concurrency (requests in flight) or rate (requests per second)");
        }
        else if (hasConcurrency)
        {
            foreach (var openOnly in OpenLoopOnlyKeys.Where(map.Has))
                reader.Error(map.KeyNode(openOnly)!, map.PathOf(openOnly), $"{openOnly} applies only to an open loop (rate), not to concurrency");
        }

        if (name is null || endpoint is null || workload is null || slo is null
            || (hasConcurrency && concurrency is null) || (hasRate && rate is null) || hasConcurrency == hasRate)
            return null;
        return new ScenarioDefinition
        {
            Name = name,
            Endpoint = endpoint.Value,
            Workload = workload,
            Concurrency = hasConcurrency ? concurrency! : [],
            Rate = hasRate ? rate! : [],
            Burstiness = burstiness ?? 1,
            MaxConcurrency = maxConcurrency,
            Requests = requests ?? ScenarioDefinition.DefaultRequests,
            Warmup = warmup ?? ScenarioDefinition.DefaultWarmup,
            Trials = trials ?? ScenarioDefinition.DefaultTrials,
            Slo = slo,
            RequestTimeout = requestTimeout ?? ScenarioDefinition.DefaultRequestTimeout,
            ExactOutputLength = exact ?? true,
        };
    }

    private static int? ParsePositiveInt(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static double? ParsePositiveNumber(string text) =>
        YamlFieldReader.TryNumber(text, out var value) && value > 0 ? value : null;

    private static ScenarioEndpoint? ReadEndpoint(YamlFieldReader reader, YamlMap map)
    {
        var text = reader.String(map, "endpoint");
        switch (text)
        {
            case null when !map.Has("endpoint") || YamlFieldReader.IsNull(map.Value("endpoint")!):
                return ScenarioEndpoint.Completions;
            case "completions":
                return ScenarioEndpoint.Completions;
            case "chat":
                return ScenarioEndpoint.Chat;
            case null:
                return null;
            default:
                reader.ValueError(map, "endpoint", $"expected completions or chat, got '{text}'");
                return null;
        }
    }

    private static WorkloadDefinition? ReadWorkload(YamlFieldReader reader, YamlMap scenario)
    {
        if (!scenario.Has("workload") || YamlFieldReader.IsNull(scenario.Value("workload")!))
        {
            reader.Error(scenario.KeyNode("workload")?.Start ?? scenario.Node.Start, scenario.PathOf("workload"),
                "required: what each request asks for (input-tokens and output-tokens, or a dataset)");
            return null;
        }
        var before = reader.Errors.Count;
        var map = reader.Map(scenario.Value("workload")!, scenario.PathOf("workload"), WorkloadKeys, "a mapping with input-tokens and output-tokens, or a dataset");
        if (map is null)
            return null;
        var dataset = reader.String(map, "dataset");
        var needed = dataset is null && !map.Has("dataset") ? "a positive number of tokens (or give a dataset)" : null;
        var input = reader.Int(map, "input-tokens", 1, "a positive integer", needed);
        var output = reader.Int(map, "output-tokens", 1, "a positive integer", needed);
        var rangeRatio = reader.Number(map, "range-ratio", r => r is >= 0 and < 1, "a fraction from 0 up to 1 (lengths vary by up to this much either way)");
        var sharedPrefix = reader.Int(map, "shared-prefix-tokens", 0, "a non-negative integer");
        var seed = reader.Int(map, "seed", 0, "a non-negative integer");
        if (sharedPrefix is { } prefix && input is { } inputTokens && prefix >= inputTokens)
            reader.ValueError(map, "shared-prefix-tokens", $"expected fewer than input-tokens ({inputTokens}), got '{prefix}'");
        if (reader.Errors.Count > before)
            return null;
        return new WorkloadDefinition
        {
            InputTokens = input,
            OutputTokens = output,
            RangeRatio = rangeRatio ?? 0,
            SharedPrefixTokens = sharedPrefix ?? 0,
            Dataset = dataset,
            Seed = seed ?? 0,
        };
    }

    private static SloDefinition? ReadSlo(YamlFieldReader reader, YamlMap scenario)
    {
        if (YamlFieldReader.IsNull(scenario.Value("slo")!))
            return new SloDefinition();
        var map = reader.Map(scenario.Value("slo")!, scenario.PathOf("slo"), SloKeys, "a mapping of ttft-ms, tpot-ms, e2e-ms and itl-ms");
        if (map is null)
            return null;
        const string expected = "a positive number of milliseconds";
        return new SloDefinition
        {
            TtftMs = reader.Number(map, "ttft-ms", v => v > 0, expected),
            TpotMs = reader.Number(map, "tpot-ms", v => v > 0, expected),
            E2eMs = reader.Number(map, "e2e-ms", v => v > 0, expected),
            ItlMs = reader.Number(map, "itl-ms", v => v > 0, expected),
        };
    }

    /// <summary><c>thresholds: 5%</c> (the default only) or a mapping of <c>default</c> and metric names.</summary>
    private static SuiteThresholds? ReadThresholds(YamlFieldReader reader, YamlNode node, string path)
    {
        if (YamlFieldReader.IsNull(node))
            return new SuiteThresholds();
        if (node is YamlScalarNode)
            return reader.Percentage(node, path) is { } fraction ? new SuiteThresholds { Default = fraction } : null;
        var before = reader.Errors.Count;
        var map = reader.Map(node, path, ThresholdKeys, "a percentage or a mapping of default and metric names to percentages",
            "default or a metric PerfCI knows, such as ttft_p99 or output_throughput");
        if (map is null)
            return null;
        var ok = reader.Errors.Count == before;
        double? fallback = null;
        var perMetric = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Fields)
        {
            var fraction = reader.Percentage(value, map.PathOf(key.Value!));
            if (fraction is null)
                ok = false;
            else if (key.Value == "default")
                fallback = fraction;
            else
                perMetric[key.Value!] = fraction.Value;
        }
        return ok ? new SuiteThresholds { Default = fallback ?? SuiteThresholds.DefaultFraction, PerMetric = perMetric } : null;
    }

    /// <summary>YamlDotNet's message without the marks it may prefix (the error carries them already).</summary>
    private static string YamlMessage(YamlException e) => MarkPrefix().Replace(e.Message, "").Trim();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();
}
