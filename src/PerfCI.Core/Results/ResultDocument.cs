using System.Text.Json.Serialization;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;

namespace PerfCI.Core.Results;

/// <summary>
/// PerfCI's result document: what <c>perfci-bench</c> writes, the runner uploads, importers
/// produce from other tools' files, and the server ingests. JSON with snake_case names
/// (<see cref="ResultDocumentJson"/>). Every metric keeps one sample per trial, so the statistics
/// downstream see the noise, not only a mean.
/// </summary>
public sealed record ResultDocument
{
    public const string CurrentSchema = "perfci.result/v1";

    public string Schema { get; init; } = CurrentSchema;
    /// <summary>Which tool measured (perfci-bench, vllm, sglang, llama-bench, ...) and from which file.</summary>
    public required ResultSource Source { get; init; }
    public EngineInfo? Engine { get; init; }
    public string? Model { get; init; }
    /// <summary>The machine, when known; imported files often say only a GPU name.</summary>
    public HardwareFingerprint? Hardware { get; init; }
    /// <summary>Overrides the class derived from <see cref="Hardware"/> (e.g. given on upload).</summary>
    public string? HardwareClass { get; init; }
    public string? Suite { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<ScenarioResult> Scenarios { get; init; } = [];
}

public sealed record ResultSource(string Tool, string? ToolVersion = null, string? File = null);

public sealed record EngineInfo(string? Name = null, string? Version = null, string? Commit = null);

/// <summary>
/// One scenario at one load point (a concurrency or a request rate): the unit a series is keyed by,
/// through <see cref="Key"/>.
/// </summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }
    /// <summary>Closed loop: this many requests in flight. Null for an open loop or an offline batch.</summary>
    public int? Concurrency { get; init; }
    /// <summary>Open loop: requests per second; null means all at once (vLLM's "inf").</summary>
    public double? RequestRate { get; init; }
    /// <summary>Batch size of an offline (non-serving) benchmark such as llama-bench or bench_one_batch.</summary>
    public int? BatchSize { get; init; }
    public WorkloadInfo? Workload { get; init; }
    public IReadOnlyList<MetricSamples> Metrics { get; init; } = [];
    /// <summary>Per-trial details when the tool keeps them (validity, GPU telemetry, request logs).</summary>
    public IReadOnlyList<TrialInfo> Trials { get; init; } = [];

    /// <summary>The scenario part of a series' identity: the name plus its load point.</summary>
    [JsonIgnore]
    public string Key => LoadLabel is { } load ? $"{Name}@{load}" : Name;

    [JsonIgnore]
    public string? LoadLabel => (Concurrency, RequestRate, BatchSize) switch
    {
        ({ } c, _, _) => $"c{c}",
        (_, { } r, _) => FormattableString.Invariant($"r{r:0.###}"),
        (_, _, { } b) => $"b{b}",
        _ => null,
    };
}

public sealed record WorkloadInfo
{
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public string? Dataset { get; init; }
    public int? Requests { get; init; }
}

/// <summary>One metric of a scenario: one sample per trial, in trial order.</summary>
public sealed record MetricSamples(string Name, string Unit, MetricDirection Direction, IReadOnlyList<double> Samples);

public sealed record TrialInfo
{
    public int Index { get; init; }
    /// <summary>False when the run cannot be trusted, e.g. the client fell behind its arrival schedule.</summary>
    public bool Valid { get; init; } = true;
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>The GPUs' readings during the trial (thinned, see <see cref="Results.GpuTrace"/>); empty without a GPU.</summary>
    public IReadOnlyList<GpuTracePoint> GpuTrace { get; init; } = [];
}
