using System.Text.RegularExpressions;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// Kubernetes SIG inference-perf reports: <c>summary_lifecycle_metrics.json</c> (every stage together),
/// <c>stage_N_lifecycle_metrics.json</c> (one load stage, with its requested and achieved rate),
/// both measured by the client, and <c>stage_N_prometheus_metrics.json</c> / <c>summary_prometheus_metrics.json</c>,
/// the model server's own metrics over the same time. All times are in seconds.
/// </summary>
public sealed partial class InferencePerfImporter : IResultImporter
{
    /// <summary>A stage whose requests started this late on average could not keep its schedule.</summary>
    private const double MaxMedianScheduleDelaySeconds = 0.1;

    private static readonly (string Field, string Metric)[] Latencies =
    [
        ("time_to_first_token", "ttft"),
        ("time_per_output_token", "tpot"),
        ("inter_token_latency", "itl"),
        ("request_latency", "e2e"),
        ("normalized_time_per_output_token", "ntpot"),
    ];

    private static readonly (string Field, string Metric)[] Throughputs =
    [
        ("requests_per_sec", "request_throughput"),
        ("input_tokens_per_sec", "input_throughput"),
        ("output_tokens_per_sec", "output_throughput"),
        ("total_tokens_per_sec", "total_throughput"),
    ];

    [GeneratedRegex(@"stage_(\d+)_", RegexOptions.CultureInvariant)]
    private static partial Regex StageInName();

    public string Format => "inference-perf";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"load_summary\"", StringComparison.Ordinal) && head.Contains("\"successes\"", StringComparison.Ordinal);

    public ResultDocument Import(string fileName, string content)
    {
        var root = JsonRecords.ReadSingle(fileName, content);
        var stage = StageInName().Match(fileName) is { Success: true } match ? $"stage_{match.Groups[1].Value}" : "summary";
        var load = root.Required("load_summary");
        var successes = root.Required("successes");
        var failures = root.Get("failures");
        var prometheus = fileName.Contains("prometheus", StringComparison.OrdinalIgnoreCase) || successes.Has("rate");

        var metrics = new MetricSet();
        var trials = new List<TrialInfo>();
        if (prometheus)
            ReadServerMetrics(successes, metrics);
        else
            trials.Add(ReadClientMetrics(load, successes, metrics));
        metrics.Add("completed_requests", successes.Number("count"));
        metrics.Add("failed_requests", failures?.Number("count"));

        var rate = load.Number("requested_rate");
        if (rate is <= 0)
            throw load.Required("requested_rate").Error($"expected a positive rate, was {rate}");
        var scenario = new ScenarioResult
        {
            // The server's view of a stage is a series of its own, beside the client's.
            Name = prometheus ? $"{stage}_server" : stage,
            RequestRate = rate,
            Workload = new WorkloadInfo { Requests = load.Int("count") ?? successes.Int("count") },
            Metrics = metrics.Metrics,
            Trials = trials,
        };
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Scenarios = [scenario],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static TrialInfo ReadClientMetrics(JsonField load, JsonField successes, MetricSet metrics)
    {
        var latency = successes.Get("latency");
        foreach (var (field, metric) in Latencies)
        {
            if (latency?.Get(field) is not { } distribution)
                continue;
            foreach (var stat in distribution.Properties())
                metrics.AddLatency(metric, stat.Key, stat.AsNumber(), 1000);
        }
        var throughput = successes.Get("throughput");
        foreach (var (field, metric) in Throughputs)
            metrics.Add(metric, throughput?.Number(field));

        // The client falls behind its arrival schedule when the server is saturated; the numbers
        // then describe a lower load than the stage asked for.
        var notes = new List<string>();
        var delay = load.Get("schedule_delay")?.Number("median");
        if (delay is { } d)
            notes.Add(FormattableString.Invariant($"median schedule delay {d * 1000:0.###} ms"));
        if (load.Number("requested_rate") is { } requested && load.Number("achieved_rate") is { } achieved)
            notes.Add(FormattableString.Invariant($"requested {requested:0.###} req/s, achieved {achieved:0.###} req/s"));
        return new TrialInfo { Valid = !(delay > MaxMedianScheduleDelaySeconds), Notes = notes };
    }

    private static void ReadServerMetrics(JsonField successes, MetricSet metrics)
    {
        foreach (var (field, metric) in Latencies)
        {
            if (successes.Get(field) is not { } distribution)
                continue;
            foreach (var stat in distribution.Properties())
                metrics.AddLatency(metric, stat.Key, stat.AsNumber(), 1000);
        }
        metrics.Add("request_throughput", successes.Number("rate"));
        metrics.Add("input_throughput", successes.Get("prompt_len")?.Number("rate"));
        metrics.Add("output_throughput", successes.Get("output_len")?.Number("rate"));
        if (successes.Get("num_preemptions_total")?.Number("mean") is { } preemptions)
            metrics.AddCustom("inference_perf_preemptions", "count", MetricDirection.LowerIsBetter, preemptions);
        if (successes.Get("prefix_cache_hit_percent")?.Number("mean") is { } hits)
            metrics.AddCustom("inference_perf_prefix_cache_hit_mean", "%", MetricDirection.HigherIsBetter, hits);
    }
}
