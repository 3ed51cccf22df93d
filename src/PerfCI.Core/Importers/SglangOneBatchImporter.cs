using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// SGLang's offline benchmarks, whose <c>--result-filename</c> gets one JSON line per
/// (batch size, input length, output length): <c>python -m sglang.bench_one_batch</c>
/// (prefill and decode measured apart, in seconds) and the older <c>bench_one_batch_server</c>
/// (one <c>latency</c> for the whole batch).
/// </summary>
public sealed class SglangOneBatchImporter : IResultImporter
{
    public string Format => "sglang-one-batch";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"batch_size\"", StringComparison.Ordinal)
        && head.Contains("\"input_len\"", StringComparison.Ordinal)
        && head.Contains("\"output_len\"", StringComparison.Ordinal)
        && (head.Contains("\"overall_throughput\"", StringComparison.Ordinal) || head.Contains("\"prefill_latency\"", StringComparison.Ordinal));

    public ResultDocument Import(string fileName, string content)
    {
        var scenarios = new List<ScenarioResult>();
        foreach (var row in JsonRecords.Read(fileName, content))
        {
            var batch = row.Required("batch_size").AsInt();
            var input = row.Required("input_len").AsInt();
            var output = row.Required("output_len").AsInt();
            if (batch < 1)
                throw row.Location.Error("batch_size", $"expected a positive batch size, was {batch}");

            var metrics = new MetricSet();
            // bench_one_batch: prefill, then the median decode step, then the whole batch.
            metrics.Add("prefill_latency", Milliseconds(row.Number("prefill_latency")));
            metrics.Add("prefill_throughput", row.Number("prefill_throughput"));
            metrics.Add("decode_latency", Milliseconds(row.Number("median_decode_latency")));
            metrics.Add("decode_throughput", row.Number("median_decode_throughput"));
            metrics.Add("batch_latency", Milliseconds(row.Number("total_latency")));
            // bench_one_batch_server: one latency for the batch and its output token rate.
            metrics.Add("batch_latency", Milliseconds(row.Number("latency")));
            metrics.Add("input_throughput", row.Number("input_throughput"));
            metrics.Add("output_throughput", row.Number("output_throughput"));
            // Both: (input + output tokens) x batch / total latency.
            metrics.Add("total_throughput", row.Number("overall_throughput"));
            if (metrics.Count == 0)
                throw row.Location.Error(null, "no latency or throughput field (prefill_latency, total_latency, latency, overall_throughput)");

            scenarios.Add(new ScenarioResult
            {
                Name = $"bs{batch}_in{input}_out{output}",
                BatchSize = batch,
                Workload = new WorkloadInfo { InputTokens = input, OutputTokens = output, Requests = batch },
                Metrics = metrics.Metrics,
            });
        }
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Engine = new EngineInfo("sglang"),
            Scenarios = scenarios,
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static double? Milliseconds(double? seconds) => seconds * 1000;
}
