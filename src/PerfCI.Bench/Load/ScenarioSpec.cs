using PerfCI.Bench.Metrics;

namespace PerfCI.Bench.Load;

public enum Endpoint
{
    Completions,
    Chat,
}

public enum ArrivalKind
{
    /// <summary>A fixed number of requests in flight: each worker sends the next when its last one ends.</summary>
    ClosedLoop,
    /// <summary>Requests sent on a schedule at a rate, whatever the server does (Poisson or gamma gaps).</summary>
    OpenLoop,
}

/// <summary>How requests arrive. Open loop: <see cref="Burstiness"/> is the gamma shape (1 = Poisson; below 1 burstier).</summary>
public sealed record LoadSpec(ArrivalKind Kind, int? Concurrency = null, double? RequestRate = null, double Burstiness = 1, int? MaxConcurrency = null)
{
    public static LoadSpec Closed(int concurrency) => new(ArrivalKind.ClosedLoop, Concurrency: concurrency);

    public static LoadSpec Open(double rate, double burstiness = 1, int? maxConcurrency = null) =>
        new(ArrivalKind.OpenLoop, RequestRate: rate, Burstiness: burstiness, MaxConcurrency: maxConcurrency);

    public int Parallelism => Kind == ArrivalKind.ClosedLoop ? Concurrency ?? 1 : MaxConcurrency ?? 0;
}

/// <summary>
/// What to ask for. Lengths are drawn uniformly from [len x (1 - RangeRatio), len x (1 + RangeRatio)];
/// a shared prefix of <see cref="SharedPrefixTokens"/> is the same for every request (prefix caching).
/// </summary>
public sealed record WorkloadSpec(int InputTokens, int OutputTokens, double RangeRatio = 0, int SharedPrefixTokens = 0, int Seed = 0)
{
    /// <summary>Prompts from a data set instead of generated ones; their own output lengths win when known.</summary>
    public IReadOnlyList<DatasetPrompt>? Prompts { get; init; }
    public string? Dataset { get; init; }
}

public sealed record ScenarioSpec(
    string Name,
    Endpoint Endpoint,
    string Model,
    WorkloadSpec Workload,
    LoadSpec Load,
    int Requests,
    int Warmup = 0,
    int Trials = 1)
{
    public Slo Slo { get; init; } = new();
    /// <summary>Ask for exactly the output length (ignore_eos, min_tokens) and check that it was honoured.</summary>
    public bool ExactOutputLength { get; init; } = true;
    /// <summary>Ask for usage on every chunk (vLLM), which makes multi-token chunks exact.</summary>
    public bool ContinuousUsage { get; init; } = true;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Sample nvidia-smi every 100 ms during the measured requests.</summary>
    public bool SampleGpu { get; init; } = true;
    public string NvidiaSmiPath { get; init; } = Gpu.NvidiaSmi.Executable;

    public string Path => Endpoint == Endpoint.Chat ? "v1/chat/completions" : "v1/completions";
}
