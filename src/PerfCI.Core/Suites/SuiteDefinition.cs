using System.Text.Json.Serialization;

namespace PerfCI.Core.Suites;

/// <summary>
/// A repository's <c>perfci.yml</c>: the benchmark suites PerfCI runs on its commits. Parsed and
/// checked by <see cref="SuiteParser"/>; stored as JSON on each job, so every type here is a plain
/// record that System.Text.Json reads and writes. Strings keep their placeholders (<c>{port}</c>,
/// <c>{model}</c>, <c>{checkout}</c>); <see cref="SuiteDefinition.WithPlaceholders"/> fills them in.
/// </summary>
public sealed record SuiteFile
{
    public IReadOnlyList<SuiteDefinition> Suites { get; init; } = [];

    public SuiteDefinition? Find(string name) => Suites.FirstOrDefault(s => s.Name == name);
}

/// <summary>One suite: an engine started once per trial set, and the scenarios measured against it.</summary>
public sealed record SuiteDefinition
{
    /// <summary>Unique in the file; names the suite's series (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Labels a runner must all have (e.g. <c>gpu</c>, <c>h100</c>). Empty: any runner.</summary>
    public IReadOnlyList<string> RunsOn { get; init; } = [];

    /// <summary>Shell command run in the checkout before the engine starts (e.g. <c>pip install -e .</c>).</summary>
    public string? Build { get; init; }

    public required EngineDefinition Engine { get; init; }

    /// <summary>The model path or name, substituted as <c>{model}</c>.</summary>
    public string? Model { get; init; }

    /// <summary>Environment variables for the build and the engine; values may hold placeholders.</summary>
    [JsonConverter(typeof(VerbatimKeysConverter<string>))]
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public required IReadOnlyList<ScenarioDefinition> Scenarios { get; init; }

    public SuiteThresholds Thresholds { get; init; } = new();

    /// <summary>Limit on the whole suite (build, engine start and every scenario); null: the runner's limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// A copy with <c>{checkout}</c>, <c>{model}</c> and <c>{port}</c> filled in: in the model, the build
    /// command, the environment, the engine's command, ready and base URLs, and the scenarios' data sets.
    /// The model is resolved first (it may name a path in the checkout), then used for <c>{model}</c>.
    /// </summary>
    public SuiteDefinition WithPlaceholders(PlaceholderValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var model = Model is null ? null : Placeholders.Substitute(Model, values with { Model = null });
        var resolved = values with { Model = model };
        return this with
        {
            Model = model,
            Build = Build is null ? null : Placeholders.Substitute(Build, resolved),
            Environment = Environment.ToDictionary(e => e.Key, e => Placeholders.Substitute(e.Value, resolved), StringComparer.Ordinal),
            Engine = Engine.WithPlaceholders(resolved),
            Scenarios = [.. Scenarios.Select(s => s.Workload.Dataset is { } dataset
                ? s with { Workload = s.Workload with { Dataset = Placeholders.Substitute(dataset, resolved) } }
                : s)],
        };
    }
}

/// <summary>How to start the engine and tell that it is up.</summary>
public sealed record EngineDefinition
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);
    public const string DefaultUrl = "http://127.0.0.1:{port}";

    /// <summary>Shell command that starts the server, e.g. <c>python -m vllm.entrypoints.openai.api_server --port {port} --model {model}</c>.</summary>
    public required string Command { get; init; }

    /// <summary>URL polled until it answers 2xx; spawn to ready is the cold start.</summary>
    public required string Ready { get; init; }

    /// <summary>Base URL of the OpenAI-compatible API the scenarios send to.</summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary>How long the engine may take to be ready.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>A fixed port; null: the runner picks a free one. Either way it is substituted as <c>{port}</c>.</summary>
    public int? Port { get; init; }

    /// <summary>Wait between SIGINT, SIGTERM and SIGKILL when stopping; null: the runner's default.</summary>
    public TimeSpan? StopGrace { get; init; }

    /// <summary>Name sent as <c>model</c> in requests; null: the first of the server's <c>/v1/models</c>.</summary>
    public string? ServedModel { get; init; }

    public EngineDefinition WithPlaceholders(PlaceholderValues values) => this with
    {
        Command = Placeholders.Substitute(Command, values),
        Ready = Placeholders.Substitute(Ready, values),
        Url = Placeholders.Substitute(Url, values),
        ServedModel = ServedModel is null ? null : Placeholders.Substitute(ServedModel, values),
    };
}

[JsonConverter(typeof(JsonStringEnumConverter<ScenarioEndpoint>))]
public enum ScenarioEndpoint
{
    /// <summary><c>/v1/completions</c>.</summary>
    [JsonStringEnumMemberName("completions")]
    Completions,
    /// <summary><c>/v1/chat/completions</c>.</summary>
    [JsonStringEnumMemberName("chat")]
    Chat,
}

[JsonConverter(typeof(JsonStringEnumConverter<LoadKind>))]
public enum LoadKind
{
    /// <summary>A fixed number of requests in flight (<see cref="ScenarioDefinition.Concurrency"/>).</summary>
    [JsonStringEnumMemberName("closed_loop")]
    ClosedLoop,
    /// <summary>Requests sent at a rate whatever the server does (<see cref="ScenarioDefinition.Rate"/>).</summary>
    [JsonStringEnumMemberName("open_loop")]
    OpenLoop,
}

/// <summary>One load point of a scenario: a concurrency or a request rate.</summary>
public sealed record LoadPoint(int? Concurrency, double? Rate);

/// <summary>A workload measured at one or more load points, each for <see cref="Trials"/> trials.</summary>
public sealed record ScenarioDefinition
{
    public const int DefaultRequests = 100;
    public const int DefaultWarmup = 5;
    public const int DefaultTrials = 3;
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Unique in its suite; letters, digits, <c>.</c>, <c>_</c>, <c>-</c>.</summary>
    public required string Name { get; init; }

    public ScenarioEndpoint Endpoint { get; init; } = ScenarioEndpoint.Completions;

    public required WorkloadDefinition Workload { get; init; }

    /// <summary>Closed-loop load points (requests in flight). Exactly one of this and <see cref="Rate"/> is non-empty.</summary>
    public IReadOnlyList<int> Concurrency { get; init; } = [];

    /// <summary>Open-loop load points in requests per second.</summary>
    public IReadOnlyList<double> Rate { get; init; } = [];

    /// <summary>Open loop: gamma shape of the gaps between requests (1 = Poisson, below 1 burstier).</summary>
    public double Burstiness { get; init; } = 1;

    /// <summary>Open loop: cap on requests in flight; null: none.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Measured requests per trial.</summary>
    public int Requests { get; init; } = DefaultRequests;

    /// <summary>Requests sent and discarded before each trial.</summary>
    public int Warmup { get; init; } = DefaultWarmup;

    public int Trials { get; init; } = DefaultTrials;

    public SloDefinition Slo { get; init; } = new();

    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>Ask for exactly the output length (ignore_eos, min_tokens) and check it was honoured.</summary>
    public bool ExactOutputLength { get; init; } = true;

    [JsonIgnore]
    public LoadKind LoadKind => Rate.Count > 0 && Concurrency.Count == 0 ? LoadKind.OpenLoop : LoadKind.ClosedLoop;

    /// <summary>The load points in file order; each is one series of results.</summary>
    public IReadOnlyList<LoadPoint> LoadPoints() =>
        LoadKind == LoadKind.OpenLoop
            ? [.. Rate.Select(r => new LoadPoint(null, r))]
            : [.. Concurrency.Select(c => new LoadPoint(c, null))];
}

/// <summary>
/// What each request asks for. Generated prompts when <see cref="Dataset"/> is null (then both token
/// counts are required); lengths are drawn uniformly within ±<see cref="RangeRatio"/>.
/// </summary>
public sealed record WorkloadDefinition
{
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public double RangeRatio { get; init; }
    /// <summary>Tokens at the start of every prompt that are the same for all requests (prefix caching).</summary>
    public int SharedPrefixTokens { get; init; }
    /// <summary>Prompts file (ShareGPT JSON/JSONL or JSONL of prompt and output_tokens), relative to the checkout.</summary>
    public string? Dataset { get; init; }
    public int Seed { get; init; }
}

/// <summary>Service-level objectives a request must meet to count towards goodput; null: no limit.</summary>
public sealed record SloDefinition
{
    public double? TtftMs { get; init; }
    public double? TpotMs { get; init; }
    public double? E2eMs { get; init; }
    public double? ItlMs { get; init; }
}

/// <summary>Relative change (0.03 = 3%) beyond which a metric is a regression.</summary>
public sealed record SuiteThresholds
{
    public const double DefaultFraction = 0.03;

    public double Default { get; init; } = DefaultFraction;

    /// <summary>Keyed by metric name (e.g. <c>ttft_p99</c>).</summary>
    [JsonConverter(typeof(VerbatimKeysConverter<double>))]
    public IReadOnlyDictionary<string, double> PerMetric { get; init; } = new Dictionary<string, double>();

    public double For(string metric) => PerMetric.TryGetValue(metric, out var fraction) ? fraction : Default;
}
