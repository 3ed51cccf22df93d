using PerfCI.Core.Domain;

namespace PerfCI.Core.Results;

/// <summary>
/// The metrics PerfCI knows by name, with their unit and which way is better. Importers map other
/// tools' fields onto these names so that series from different tools line up.
/// </summary>
public static class MetricCatalog
{
    public sealed record Definition(string Name, string Unit, MetricDirection Direction, string Description);

    private static readonly string[] Stats = ["mean", "std", "min", "p50", "p90", "p95", "p99", "p99_9", "max"];

    public static IReadOnlyDictionary<string, Definition> Known { get; } = Build();

    public static Definition? Find(string name) => Known.GetValueOrDefault(name);

    /// <summary>The definition of a known metric, with an error naming it when it is not.</summary>
    public static Definition Get(string name) =>
        Find(name) ?? throw new KeyNotFoundException($"'{name}' is not a metric PerfCI knows.");

    public static MetricSamples Samples(string name, params double[] samples)
    {
        var definition = Get(name);
        return new MetricSamples(definition.Name, definition.Unit, definition.Direction, samples);
    }

    private static Dictionary<string, Definition> Build()
    {
        var lower = MetricDirection.LowerIsBetter;
        var higher = MetricDirection.HigherIsBetter;
        var all = new List<Definition>();
        void Latency(string name, string what)
        {
            foreach (var stat in Stats)
                all.Add(new Definition($"{name}_{stat}", "ms", lower, $"{what}, {stat}"));
        }
        Latency("ttft", "Time to first token");
        Latency("tpot", "Time per output token after the first, per request");
        Latency("itl", "Inter-token latency, per token");
        Latency("icl", "Inter-chunk latency, per streamed event");
        Latency("e2e", "End-to-end request latency");
        Latency("ntpot", "Normalised time per output token (E2E / output tokens)");
        all.AddRange(
        [
            new("request_throughput", "req/s", higher, "Completed requests per second"),
            new("input_throughput", "tok/s", higher, "Prompt tokens per second"),
            new("output_throughput", "tok/s", higher, "Generated tokens per second"),
            new("total_throughput", "tok/s", higher, "Prompt and generated tokens per second"),
            new("goodput", "req/s", higher, "Requests per second that met every SLO"),
            new("peak_output_throughput", "tok/s", higher, "Highest output tokens in any one second"),
            new("prefill_throughput", "tok/s", higher, "Prompt tokens per second of prefill, all requests in flight together"),
            new("decode_throughput", "tok/s", higher, "Generated tokens per second of decode, all requests in flight together"),
            new("prefill_throughput_per_request", "tok/s", higher, "Prompt tokens per second of one request's prefill (prompt / TTFT)"),
            new("decode_throughput_per_request", "tok/s", higher, "Tokens per second of one request's decode ((output - 1) / (E2E - TTFT))"),
            new("concurrency_mean", "req", lower, "Mean requests in flight (in an open loop it rises when the engine slows)"),
            new("concurrency_max", "req", lower, "Most requests in flight at once"),
            new("schedule_delay_p99", "ms", lower, "Open loop: how late the client sent requests against their schedule, p99"),
            new("achieved_request_rate", "req/s", higher, "Open loop: requests per second actually sent"),
            new("prefill_latency", "ms", lower, "Time to process the prompt of a batch"),
            new("decode_latency", "ms", lower, "Time of one decode step"),
            new("batch_latency", "ms", lower, "Time to process a whole batch (offline benchmarks)"),
            new("failed_requests", "count", lower, "Requests that failed"),
            new("completed_requests", "count", higher, "Requests that completed"),
            new("cold_start", "ms", lower, "Engine spawn to first completed request"),
            new("time_to_ready", "ms", lower, "Engine spawn to readiness"),
            new("gpu_memory_peak", "MiB", lower, "Peak GPU memory used"),
            new("gpu_utilization_mean", "%", higher, "Mean GPU utilisation"),
            new("gpu_power_mean", "W", lower, "Mean GPU power draw"),
            new("energy_per_output_token", "J/tok", lower, "GPU energy per generated token"),
        ]);
        return all.ToDictionary(d => d.Name, StringComparer.Ordinal);
    }
}
