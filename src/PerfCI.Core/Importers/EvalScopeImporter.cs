using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// EvalScope's stress test (<c>evalscope perf</c>): <c>benchmark_summary.json</c>, one flat object
/// per run, keyed by the labels it prints. Versions up to 1.x write times in seconds
/// (<c>"Average time to first token (s)"</c>); newer ones shorter labels with TTFT, TPOT and ITL in ms
/// (<c>"TTFT (ms)"</c>). Both are read. A request rate of -1 means all at once.
/// </summary>
public sealed class EvalScopeImporter : IResultImporter
{
    /// <summary>Label, catalog metric, factor to the catalog's unit.</summary>
    private static readonly (string Label, string Metric, double Factor)[] Labels =
    [
        ("Request throughput (req/s)", "request_throughput", 1),
        ("Req Throughput (req/s)", "request_throughput", 1),
        ("Input Throughput (tok/s)", "input_throughput", 1),
        ("Output token throughput (tok/s)", "output_throughput", 1),
        ("Output Throughput (tok/s)", "output_throughput", 1),
        ("Total token throughput (tok/s)", "total_throughput", 1),
        ("Total Throughput (tok/s)", "total_throughput", 1),
        ("Average latency (s)", "e2e_mean", 1000),
        ("Avg Latency (s)", "e2e_mean", 1000),
        ("Average time to first token (s)", "ttft_mean", 1000),
        ("TTFT (ms)", "ttft_mean", 1),
        ("Average time per output token (s)", "tpot_mean", 1000),
        ("TPOT (ms)", "tpot_mean", 1),
        ("Average inter-token latency (s)", "itl_mean", 1000),
        ("ITL (ms)", "itl_mean", 1),
        ("Succeed requests", "completed_requests", 1),
        ("Success Requests", "completed_requests", 1),
        ("Failed requests", "failed_requests", 1),
        ("Failed Requests", "failed_requests", 1),
    ];

    public string Format => "evalscope";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"Time taken for tests (s)\"", StringComparison.Ordinal)
        || head.Contains("\"Test Duration (s)\"", StringComparison.Ordinal)
        || head.Contains("\"Number of concurrency\"", StringComparison.Ordinal)
        || (head.Contains("\"Req Throughput (req/s)\"", StringComparison.Ordinal) && head.Contains("\"Concurrency\"", StringComparison.Ordinal));

    public ResultDocument Import(string fileName, string content)
    {
        var scenarios = new List<ScenarioResult>();
        foreach (var summary in JsonRecords.Read(fileName, content))
        {
            var metrics = new MetricSet();
            foreach (var (label, metric, factor) in Labels)
                metrics.Add(metric, summary.Number(label) * factor);
            if (metrics.Count == 0)
                throw summary.Location.Error(null, "no EvalScope summary metric (\"Request throughput (req/s)\", \"Average latency (s)\", ...)");

            var concurrencyField = summary.Get("Number of concurrency") ?? summary.Get("Concurrency");
            var concurrency = concurrencyField?.AsInt();
            if (concurrency < 1)
                throw concurrencyField!.Value.Error($"expected a positive concurrency, was {concurrency}");
            var rateField = summary.Get("Request rate (req/s)") ?? summary.Get("Request Rate (req/s)");
            var rate = rateField?.AsNumber();
            if (rate is -1 || (rate is { } r && double.IsPositiveInfinity(r)))
                rate = null; // all at once
            else if (rate is <= 0)
                throw rateField!.Value.Error($"expected a positive rate or -1, was {rate}");

            var input = summary.Number("Average input tokens per request") ?? summary.Number("Avg Input Tokens");
            var output = summary.Number("Average output tokens per request") ?? summary.Number("Avg Output Tokens");
            scenarios.Add(new ScenarioResult
            {
                Name = "serving",
                Concurrency = concurrency,
                RequestRate = rate,
                Workload = new WorkloadInfo
                {
                    InputTokens = input is { } i ? (int)Math.Round(i) : null,
                    OutputTokens = output is { } o ? (int)Math.Round(o) : null,
                    Requests = (summary.Get("Total requests") ?? summary.Get("Total Requests"))?.AsInt(),
                },
                Metrics = metrics.Metrics,
            });
        }
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, null, fileName),
            Scenarios = scenarios,
        };
        return ImportedDocument.Finish(fileName, document);
    }
}
