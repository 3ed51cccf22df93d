using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// SGLang's serving benchmark (<c>python -m sglang.bench_serving --output-file</c>), which appends
/// one JSON line per run. Python's <c>json</c> writes an unlimited request rate as a bare
/// <c>Infinity</c>. Latencies are in ms (<c>mean_e2e_latency_ms</c>, <c>p99_ttft_ms</c>, ...).
/// </summary>
public sealed class SglangServingImporter : IResultImporter
{
    public string Format => "sglang";

    public bool CanRead(string fileName, string head) =>
        head.Contains("_e2e_latency_ms\"", StringComparison.Ordinal)
        || head.Contains("\"total_output_tokens_retokenized\"", StringComparison.Ordinal);

    public ResultDocument Import(string fileName, string content)
    {
        var rows = JsonRecords.Read(fileName, content);
        var first = rows[0];
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Engine = ServingFields.Engine(first.Kind == System.Text.Json.JsonValueKind.Object ? first.String("backend") : null) is { } engine
                ? new EngineInfo(engine)
                : null,
            Model = first.Kind == System.Text.Json.JsonValueKind.Object ? first.String("model_id") ?? first.String("model") : null,
            Scenarios = [.. rows.Select(Scenario)],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static ScenarioResult Scenario(JsonField row)
    {
        if (row.Kind != System.Text.Json.JsonValueKind.Object)
            throw row.Error($"expected a JSON object of results, was {JsonField.Describe(row.Element)}");
        var metrics = ServingFields.Metrics(row);
        if (row.Number("accept_length") is { } accept)
            metrics.AddCustom("sglang_accept_length", "tok/step", Core.Domain.MetricDirection.HigherIsBetter, accept);
        if (metrics.Count == 0)
            throw row.Location.Error(null, "no SGLang serving metric (mean_ttft_ms, request_throughput, ...) in this result");

        // The random lengths are written whatever the dataset; they describe only a random one.
        var dataset = row.String("dataset_name");
        int? input = null, output = null;
        if (dataset?.StartsWith("random", StringComparison.Ordinal) == true)
        {
            input = row.Int("random_input_len");
            output = row.Int("random_output_len");
        }
        else if (dataset == "sharegpt")
        {
            output = row.Int("sharegpt_output_len") ?? row.Int("fixed_output_len");
        }
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
                Requests = row.Int("num_prompts") ?? row.Int("completed"),
            },
            Metrics = metrics.Metrics,
        };
    }
}
