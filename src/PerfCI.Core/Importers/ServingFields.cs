using System.Text.RegularExpressions;

namespace PerfCI.Core.Importers;

/// <summary>
/// The fields vLLM's and SGLang's serving benchmarks share (SGLang's began as a copy of vLLM's):
/// <c>{mean,median,std,pNN}_{ttft,tpot,itl,e2el|e2e_latency}_ms</c>, the throughputs, the load point.
/// </summary>
internal static partial class ServingFields
{
    private static readonly Dictionary<string, string> Throughputs = new(StringComparer.Ordinal)
    {
        ["request_throughput"] = "request_throughput",
        ["request_goodput"] = "goodput",
        ["input_throughput"] = "input_throughput",
        ["output_throughput"] = "output_throughput",
        ["total_token_throughput"] = "total_throughput",
        ["total_throughput"] = "total_throughput",
        ["max_output_tokens_per_s"] = "peak_output_throughput",
        ["completed"] = "completed_requests",
        ["failed"] = "failed_requests",
    };

    [GeneratedRegex(@"^(mean|median|std|min|max|p\d+(?:\.\d+)?)_(ttft|tpot|itl|e2el|e2e_latency)_ms$", RegexOptions.CultureInvariant)]
    private static partial Regex LatencyField();

    public static MetricSet Metrics(JsonField row)
    {
        var metrics = new MetricSet();
        foreach (var field in row.Properties())
        {
            if (Throughputs.TryGetValue(field.Key, out var metric))
            {
                metrics.Add(metric, field.AsNumber());
            }
            else if (LatencyField().Match(field.Key) is { Success: true } match)
            {
                var value = field.AsNumber();
                var name = match.Groups[2].Value is "e2el" or "e2e_latency" ? "e2e" : match.Groups[2].Value;
                metrics.AddLatency(name, match.Groups[1].Value, value, 1);
            }
        }
        return metrics;
    }

    /// <summary>Requests per second; null for "inf" (vLLM's string) or Infinity (Python's bare literal).</summary>
    public static double? RequestRate(JsonField row)
    {
        if (row.Get("request_rate") is not { } field)
            return null;
        var rate = field.AsNumber();
        if (double.IsPositiveInfinity(rate))
            return null;
        return rate > 0 ? rate : throw field.Error($"expected a positive number of requests per second or \"inf\", was {rate}");
    }

    public static int? MaxConcurrency(JsonField row)
    {
        if (row.Get("max_concurrency") is not { } field)
            return null;
        var concurrency = field.AsInt();
        return concurrency >= 1 ? concurrency : throw field.Error($"expected a positive number of requests in flight, was {concurrency}");
    }

    /// <summary>The engine a benchmark's backend names (vllm, sglang-oai, tgi, ...); null for a plain OpenAI endpoint.</summary>
    public static string? Engine(string? backend)
    {
        if (string.IsNullOrEmpty(backend))
            return null;
        var name = backend.ToLowerInvariant();
        string[] engines = ["vllm", "sglang", "tgi", "lmdeploy", "tensorrt-llm", "deepspeed-mii", "scalellm", "trt"];
        var engine = engines.FirstOrDefault(e => name == e || name.StartsWith(e + "-", StringComparison.Ordinal));
        return engine == "trt" ? "tensorrt-llm" : engine;
    }

    /// <summary>The name of a serving scenario: the dataset, then the input and output lengths when set.</summary>
    public static string ScenarioName(string? dataset, int? input, int? output)
    {
        var name = string.IsNullOrWhiteSpace(dataset) ? "serving" : dataset.Trim();
        if (input is { } i)
            name += $"_in{i}";
        if (output is { } o)
            name += $"_out{o}";
        return name;
    }

    /// <summary>Mean tokens per completed request, when the lengths were not set but the totals say.</summary>
    public static int? MeanTokens(JsonField row, string total)
    {
        var tokens = row.Number(total);
        var completed = row.Number("completed");
        return tokens is { } t && completed is > 0 and { } c ? (int)Math.Round(t / c) : null;
    }
}
