using System.Text.Json;
using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// NVIDIA GenAI-Perf's <c>profile_export_genai_perf.json</c>: one object per metric with its
/// <c>unit</c> and statistics (<c>avg</c>, <c>min</c>, <c>max</c>, <c>std</c>, <c>p25</c> ... <c>p99</c>),
/// and <c>input_config</c>, the command line it ran with (flat in early versions: <c>model</c>,
/// <c>concurrency</c>, <c>request_rate</c>; nested in later ones: <c>model_names</c>,
/// <c>perf_analyzer.stimulus</c>, <c>input.synthetic_tokens</c>).
/// </summary>
public sealed class GenAiPerfImporter : IResultImporter
{
    private static readonly (string Field, string Metric)[] Latencies =
    [
        ("time_to_first_token", "ttft"),
        ("inter_token_latency", "itl"),
        ("request_latency", "e2e"),
    ];

    private static readonly (string Field, string Metric)[] Rates =
    [
        ("request_throughput", "request_throughput"),
        ("request_goodput", "goodput"),
        ("output_token_throughput", "output_throughput"),
        ("request_count", "completed_requests"),
    ];

    public string Format => "genai-perf";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"input_config\"", StringComparison.Ordinal)
        || (head.Contains("\"request_throughput\"", StringComparison.Ordinal) && head.Contains("\"unit\"", StringComparison.Ordinal)
            && head.Contains("\"avg\"", StringComparison.Ordinal));

    public ResultDocument Import(string fileName, string content)
    {
        var root = JsonRecords.ReadSingle(fileName, content);
        var metrics = new MetricSet();
        foreach (var (field, metric) in Latencies)
        {
            if (root.Get(field) is not { } stats)
                continue;
            var toMs = Milliseconds(stats);
            foreach (var stat in stats.Properties().Where(p => p.Key != "unit"))
                metrics.AddLatency(metric, stat.Key, stat.AsNumber(), toMs);
        }
        foreach (var (field, metric) in Rates)
            metrics.Add(metric, root.Get(field)?.Number("avg"));
        if (metrics.Count == 0)
            throw root.Location.Error(null, "no GenAI-Perf metric (time_to_first_token, request_throughput, ...) in this file");

        var config = root.Get("input_config");
        var stimulus = config?.Get("perf_analyzer")?.Get("stimulus");
        var concurrencyField = config?.Get("concurrency") ?? stimulus?.Get("concurrency");
        var concurrency = concurrencyField?.AsInt();
        if (concurrency < 1)
            throw concurrencyField!.Value.Error($"expected a positive concurrency, was {concurrency}");
        var rateField = config?.Get("request_rate") ?? stimulus?.Get("request_rate");
        var rate = rateField?.AsNumber();
        if (rate is <= 0)
            throw rateField!.Value.Error($"expected a positive request rate, was {rate}");

        var input = config?.Int("synthetic_input_tokens_mean") ?? config?.Get("input")?.Get("synthetic_tokens")?.Int("mean");
        var output = config?.Int("output_tokens_mean") ?? config?.Get("input")?.Get("output_tokens")?.Int("mean");
        if (output < 1)
            output = null; // -1: not set, the model decides
        var source = config?.String("prompt_source") ?? "synthetic";
        var inputFile = config?.String("input_file") ?? config?.Get("input")?.String("file");
        var dataset = inputFile is null ? null : Path.GetFileNameWithoutExtension(inputFile);

        var scenario = new ScenarioResult
        {
            Name = ServingFields.ScenarioName(dataset ?? source, inputFile is null ? input : null, output),
            Concurrency = concurrency,
            RequestRate = rate,
            Workload = new WorkloadInfo
            {
                InputTokens = inputFile is null ? input : null,
                OutputTokens = output,
                Dataset = dataset,
                Requests = root.Get("request_count")?.Number("avg") is { } count ? (int)count : null,
            },
            Metrics = metrics.Metrics,
        };
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Model = Model(config),
            Scenarios = [scenario],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static string? Model(JsonField? config)
    {
        if ((config?.Get("model") ?? config?.Get("model_names")) is not { } model)
            return null;
        return model.Kind == JsonValueKind.Array ? model.Items().FirstOrDefault() is { } first ? first.AsString() : null : model.AsString();
    }

    private static double Milliseconds(JsonField stats)
    {
        var unit = stats.String("unit") ?? "ms";
        return unit switch
        {
            "ms" => 1,
            "s" or "sec" => 1000,
            "us" => 1e-3,
            "ns" => 1e-6,
            _ => throw stats.Required("unit").Error($"expected a time unit (ms, s, us, ns), was {JsonField.Quote(unit)}"),
        };
    }
}
