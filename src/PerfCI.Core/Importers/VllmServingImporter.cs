using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// vLLM's serving benchmark (<c>vllm bench serve</c>, formerly <c>benchmarks/benchmark_serving.py</c>)
/// with <c>--save-result</c>: one JSON object per run (<c>--append-result</c> appends one per line).
/// Latencies are already in ms; <c>request_rate</c> is the string <c>"inf"</c> for all at once.
/// The file does not name the dataset or the lengths unless <c>--metadata</c> added them
/// (<c>dataset_name</c>, <c>random_input_len</c>, <c>random_output_len</c>).
/// </summary>
public sealed class VllmServingImporter : IResultImporter
{
    public string Format => "vllm";

    public bool CanRead(string fileName, string head) =>
        head.Contains("_e2el_ms\"", StringComparison.Ordinal)
        || head.Contains("\"burstiness\"", StringComparison.Ordinal)
        || (head.Contains("\"model_id\"", StringComparison.Ordinal) && head.Contains("\"total_token_throughput\"", StringComparison.Ordinal));

    public ResultDocument Import(string fileName, string content)
    {
        var rows = JsonRecords.Read(fileName, content);
        var scenarios = rows.Select(Scenario).ToList();
        var first = rows[0];
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Engine = ServingFields.Engine(first.String("backend") ?? first.String("endpoint_type")) is { } engine ? new EngineInfo(engine) : null,
            Model = first.String("model_id") ?? first.String("tokenizer_id"),
            Scenarios = scenarios,
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static ScenarioResult Scenario(JsonField row)
    {
        if (row.Kind != System.Text.Json.JsonValueKind.Object)
            throw row.Error($"expected a JSON object of results, was {JsonField.Describe(row.Element)}");
        var metrics = ServingFields.Metrics(row);
        if (metrics.Count == 0)
            throw row.Location.Error(null, "no vLLM serving metric (mean_ttft_ms, request_throughput, ...) in this result");
        var dataset = row.String("dataset_name") ?? row.String("dataset");
        var input = row.Int("random_input_len") ?? row.Int("input_len");
        var output = row.Int("random_output_len") ?? row.Int("output_len");
        return new ScenarioResult
        {
            Name = ServingFields.ScenarioName(dataset, input, output),
            Concurrency = ServingFields.MaxConcurrency(row),
            RequestRate = ServingFields.RequestRate(row),
            Workload = new WorkloadInfo
            {
                Dataset = dataset,
                InputTokens = input ?? ServingFields.MeanTokens(row, "total_input_tokens"),
                OutputTokens = output ?? ServingFields.MeanTokens(row, "total_output_tokens"),
                Requests = row.Int("num_prompts"),
            },
            Metrics = metrics.Metrics,
        };
    }
}
