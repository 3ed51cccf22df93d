using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// Triton perf_analyzer's <c>--profile-export-file</c> (also what GenAI-Perf reads): per load point
/// (<c>experiment</c>: concurrency or request rate), every request's send time and the times of its
/// streamed responses, in ns. The statistics are computed here: time to the first response, time
/// between responses (an inter-chunk latency: a response may carry several tokens), end to end.
/// </summary>
public sealed class PerfAnalyzerImporter : IResultImporter
{
    private const double NanosecondsToMilliseconds = 1e-6;

    public string Format => "perf-analyzer";

    public bool CanRead(string fileName, string head) =>
        head.Contains("\"experiments\"", StringComparison.Ordinal) && head.Contains("\"experiment\"", StringComparison.Ordinal);

    public ResultDocument Import(string fileName, string content)
    {
        var root = JsonRecords.ReadSingle(fileName, content);
        var experiments = root.Required("experiments").Items().ToList();
        if (experiments.Count == 0)
            throw root.Location.Error("experiments", "the list is empty");
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, root.String("version"), fileName),
            Scenarios = [.. experiments.Select(Scenario)],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static ScenarioResult Scenario(JsonField experiment)
    {
        var load = experiment.Required("experiment");
        var mode = load.Required("mode").AsString();
        var value = load.Required("value");
        int? concurrency = null;
        double? rate = null;
        switch (mode)
        {
            case "concurrency":
                concurrency = value.AsInt();
                if (concurrency < 1)
                    throw value.Error($"expected a positive concurrency, was {concurrency}");
                break;
            case "request_rate":
                rate = value.AsNumber();
                if (!(rate > 0))
                    throw value.Error($"expected a positive request rate, was {rate}");
                break;
            default:
                throw load.Required("mode").Error($"expected \"concurrency\" or \"request_rate\", was {JsonField.Quote(mode)}");
        }

        var firstResponse = new List<double>();
        var endToEnd = new List<double>();
        var betweenResponses = new List<double>();
        var unanswered = 0;
        long? start = null, end = null;
        var requests = experiment.Required("requests").Items().ToList();
        foreach (var request in requests)
        {
            var sent = Nanoseconds(request.Required("timestamp"));
            var responses = request.Required("response_timestamps").Items().Select(Nanoseconds).ToList();
            if (responses.Count == 0)
            {
                unanswered++;
                continue;
            }
            for (var i = 0; i < responses.Count; i++)
            {
                var previous = i == 0 ? sent : responses[i - 1];
                if (responses[i] < previous)
                    throw request.Error($"response {i + 1} is timestamped before {(i == 0 ? "the request was sent" : "the one before it")}");
                if (i > 0)
                    betweenResponses.Add(responses[i] - previous);
            }
            firstResponse.Add(responses[0] - sent);
            endToEnd.Add(responses[^1] - sent);
            start = Math.Min(start ?? sent, sent);
            end = Math.Max(end ?? responses[^1], responses[^1]);
        }
        if (endToEnd.Count == 0)
            throw experiment.Required("requests").Error("no request has a response");

        var metrics = new MetricSet();
        Distribution.AddAll(metrics, "ttft", firstResponse, NanosecondsToMilliseconds);
        Distribution.AddAll(metrics, "icl", betweenResponses, NanosecondsToMilliseconds);
        Distribution.AddAll(metrics, "e2e", endToEnd, NanosecondsToMilliseconds);
        if (end > start)
            metrics.Add("request_throughput", endToEnd.Count / ((end.Value - start.Value) / 1e9));
        metrics.Add("completed_requests", endToEnd.Count);

        return new ScenarioResult
        {
            Name = "profile",
            Concurrency = concurrency,
            RequestRate = rate,
            Workload = new WorkloadInfo { Requests = requests.Count },
            Metrics = metrics.Metrics,
            Trials = unanswered > 0 ? [new TrialInfo { Notes = [$"{unanswered} of {requests.Count} requests have no response timestamps"] }] : [],
        };
    }

    private static long Nanoseconds(JsonField field)
    {
        // Epoch nanoseconds need all 64 bits; a double would round them to a quarter of a microsecond.
        return field.Kind == System.Text.Json.JsonValueKind.Number && field.Element.TryGetInt64(out var value) && value >= 0
            ? value
            : throw field.Error($"expected a timestamp in ns, was {JsonField.Describe(field.Element)}");
    }
}
