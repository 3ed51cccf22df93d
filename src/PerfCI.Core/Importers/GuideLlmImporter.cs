using System.Globalization;
using System.Text.Json;
using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// GuideLLM v0.3 (<c>guidellm benchmark --output-path benchmarks.json</c>): a <c>benchmarks</c> array,
/// one benchmark per strategy of the run (synchronous, concurrent, throughput, constant or poisson
/// rate). Each metric is a distribution over the successful requests; <c>request_latency</c> is in
/// seconds, the others say their unit in their name (<c>time_to_first_token_ms</c>).
/// </summary>
public sealed class GuideLlmImporter : IResultImporter
{
    /// <summary>GuideLLM's distributions, with the catalog metric and the factor to ms.</summary>
    private static readonly (string Field, string Metric, double ToMilliseconds)[] Latencies =
    [
        ("time_to_first_token_ms", "ttft", 1),
        ("time_per_output_token_ms", "tpot", 1),
        ("inter_token_latency_ms", "itl", 1),
        ("request_latency", "e2e", 1000),
    ];

    private static readonly (string Field, string Metric)[] Rates =
    [
        ("requests_per_second", "request_throughput"),
        ("output_tokens_per_second", "output_throughput"),
        ("tokens_per_second", "total_throughput"),
    ];

    private static readonly string[] Stats = ["mean", "median", "std_dev", "min", "max"];
    private static readonly string[] Percentiles = ["p90", "p95", "p99", "p999"];

    public string Format => "guidellm";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"benchmarks\"", StringComparison.Ordinal)
        && (head.Contains("\"generative_benchmark\"", StringComparison.Ordinal) || head.Contains("\"request_loader\"", StringComparison.Ordinal));

    public ResultDocument Import(string fileName, string content)
    {
        var root = JsonRecords.ReadSingle(fileName, content);
        var benchmarks = root.Required("benchmarks").Items().ToList();
        if (benchmarks.Count == 0)
            throw root.Location.Error("benchmarks", "the list is empty");
        var first = benchmarks[0];
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Model = first.Get("worker")?.String("backend_model"),
            StartedAt = Time(benchmarks.Select(b => b.Number("start_time")).Min()),
            FinishedAt = Time(benchmarks.Select(b => b.Number("end_time")).Max()),
            Scenarios = [.. benchmarks.Select(Scenario)],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static ScenarioResult Scenario(JsonField benchmark)
    {
        var strategy = benchmark.Required("args").Required("strategy");
        var type = strategy.Required("type_").AsString();
        (int? concurrency, double? rate) = type switch
        {
            "synchronous" => (1, null),
            "concurrent" => (Positive(strategy.Required("streams")), null),
            "constant" or "poisson" => (null, strategy.Required("rate").AsNumber()),
            _ => ((int?)null, (double?)null),
        };
        if (rate is <= 0)
            throw strategy.Required("rate").Error($"expected a positive rate, was {rate}");

        var data = Data(benchmark.Get("request_loader")?.Get("data"));
        var metrics = new MetricSet();
        var all = benchmark.Required("metrics");
        foreach (var (field, metric, toMs) in Latencies)
        {
            if (all.Get(field)?.Get("successful") is not { } successful)
                continue;
            foreach (var stat in Stats)
            {
                if (successful.Number(stat) is { } value)
                    metrics.AddLatency(metric, stat, value, toMs);
            }
            if (successful.Get("percentiles") is { } percentiles)
            {
                foreach (var p in Percentiles)
                {
                    if (percentiles.Number(p) is { } value)
                        metrics.AddLatency(metric, p, value, toMs);
                }
            }
        }
        foreach (var (field, metric) in Rates)
            metrics.Add(metric, all.Get(field)?.Get("successful")?.Number("mean"));
        var totals = benchmark.Get("request_totals");
        metrics.Add("completed_requests", totals?.Number("successful"));
        metrics.Add("failed_requests", totals?.Number("errored"));

        return new ScenarioResult
        {
            Name = $"{data.Name}_{type}",
            Concurrency = concurrency,
            RequestRate = rate,
            Workload = new WorkloadInfo
            {
                InputTokens = data.Input,
                OutputTokens = data.Output,
                Dataset = data.Dataset,
                Requests = totals?.Int("total"),
            },
            Metrics = metrics.Metrics,
        };
    }

    private static int Positive(JsonField field)
    {
        var value = field.AsInt();
        return value >= 1 ? value : throw field.Error($"expected a positive number of streams, was {value}");
    }

    private sealed record DataSpec(string Name, int? Input, int? Output, string? Dataset);

    /// <summary>
    /// The request data: synthetic (<c>prompt_tokens=256,output_tokens=128</c>, or the same as JSON)
    /// is named by its lengths, a dataset by its name.
    /// </summary>
    private static DataSpec Data(JsonField? data)
    {
        if (data is not { } field)
            return new DataSpec("data", null, null, null);
        Dictionary<string, string> pairs;
        if (field.Kind == JsonValueKind.Object)
        {
            pairs = field.Properties().ToDictionary(p => p.Key, p => p.Element.ToString(), StringComparer.Ordinal);
        }
        else if (field.Kind == JsonValueKind.Array)
        {
            return Data(field.Items().FirstOrDefault());
        }
        else
        {
            var text = field.AsString().Trim();
            pairs = text.StartsWith('{') ? ParseJsonPairs(text) : ParseKeyValues(text);
            if (pairs.Count == 0)
            {
                // A data file is named by its file name; a Hugging Face dataset (org/name) by its id.
                var name = text.TrimEnd('/');
                string[] files = [".json", ".jsonl", ".csv", ".txt", ".parquet", ".arrow"];
                if (files.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                    name = Path.GetFileNameWithoutExtension(name);
                return new DataSpec(name.Length > 100 ? name[^100..] : name, null, null, text);
            }
        }
        var input = Int(pairs, "prompt_tokens");
        var output = Int(pairs, "output_tokens");
        var parts = new List<string>();
        if (input is { } i)
            parts.Add($"in{i}");
        if (output is { } o)
            parts.Add($"out{o}");
        return new DataSpec(parts.Count > 0 ? string.Join('_', parts) : "synthetic", input, output, null);
    }

    private static Dictionary<string, string> ParseKeyValues(string text)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                return [];
            pairs[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }
        return pairs;
    }

    private static Dictionary<string, string> ParseJsonPairs(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.Ordinal)
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static int? Int(Dictionary<string, string> pairs, string key) =>
        pairs.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static DateTimeOffset? Time(double? unixSeconds) =>
        unixSeconds is { } s ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(s * 1000)) : null;
}
