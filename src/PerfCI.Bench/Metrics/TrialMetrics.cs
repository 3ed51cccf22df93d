using PerfCI.Bench.Client;

namespace PerfCI.Bench.Metrics;

/// <summary>All metrics of one trial of a scenario, computed from its requests' records.</summary>
public sealed record TrialMetrics(IReadOnlyDictionary<string, double> Values, IReadOnlyList<string> Notes, int Completed, int Failed, int Incomplete)
{
    /// <summary>Token counts from usage and from events may differ by this much before it is flagged.</summary>
    public const double TokenMismatchTolerance = 0.02;

    public static TrialMetrics Compute(IReadOnlyList<RequestRecord> requests, Slo slo, bool exactOutputLength)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var notes = new List<string>();
        var completed = requests.Where(r => r.Outcome == RequestOutcome.Completed).ToList();
        var failed = requests.Count(r => r.Outcome == RequestOutcome.Failed);
        var incomplete = requests.Count(r => r.Outcome == RequestOutcome.Incomplete);
        foreach (var reason in requests.Where(r => r.Outcome != RequestOutcome.Completed).GroupBy(r => $"{r.Outcome}: {r.FailureReason}"))
            notes.Add($"{reason.Count()} x {reason.Key}");

        values["completed_requests"] = completed.Count;
        values["failed_requests"] = failed + incomplete;
        if (requests.Count == 0)
            return new TrialMetrics(values, notes, 0, 0, 0);

        var start = requests.Min(r => r.SentMs);
        var end = requests.Max(r => r.EndMs);
        var seconds = Math.Max(end - start, 1e-9) / 1000.0;
        var measured = completed.Select(r => (Record: r, Metrics: RequestMetrics.From(r))).Where(p => p.Metrics is not null)
            .Select(p => (p.Record, Metrics: p.Metrics!)).ToList();
        var perRequest = measured.Select(p => p.Metrics).ToList();

        Add(values, "ttft", perRequest.Select(r => r.TtftMs).ToList());
        Add(values, "tpot", perRequest.Where(r => r.TpotMs is not null).Select(r => r.TpotMs!.Value).ToList());
        Add(values, "itl", perRequest.SelectMany(r => r.ItlMs).ToList());
        Add(values, "icl", perRequest.SelectMany(r => r.IclMs).ToList());
        Add(values, "e2e", perRequest.Select(r => r.E2eMs).ToList());
        Add(values, "ntpot", perRequest.Select(r => r.NtpotMs).ToList());

        var inputTokens = completed.Sum(r => (double)r.PromptTokens);
        var outputTokens = completed.Sum(r => (double)r.OutputTokens);
        values["request_throughput"] = completed.Count / seconds;
        values["input_throughput"] = inputTokens / seconds;
        values["output_throughput"] = outputTokens / seconds;
        values["total_throughput"] = (inputTokens + outputTokens) / seconds;
        if (!slo.IsEmpty)
            values["goodput"] = perRequest.Count(slo.Holds) / seconds;
        values["peak_output_throughput"] = PeakOutputPerSecond(completed, start);

        var (meanConcurrency, maxConcurrency) = Concurrency(requests, start, end);
        values["concurrency_mean"] = meanConcurrency;
        values["concurrency_max"] = maxConcurrency;

        // How engine teams quote speed: per-request prefill and decode rates, and the totals at
        // this concurrency (the per-request rate times the mean number of requests in flight).
        var prefill = measured.Where(p => p.Metrics.TtftMs > 0)
            .Select(p => p.Record.PromptTokens / (p.Metrics.TtftMs / 1000.0)).ToList();
        var decode = measured.Where(p => p.Record.OutputTokens > 1 && p.Metrics.E2eMs > p.Metrics.TtftMs)
            .Select(p => (p.Record.OutputTokens - 1) / ((p.Metrics.E2eMs - p.Metrics.TtftMs) / 1000.0)).ToList();
        if (prefill.Count > 0)
        {
            values["prefill_throughput_per_request"] = prefill.Average();
            values["prefill_throughput"] = prefill.Average() * meanConcurrency;
        }
        if (decode.Count > 0)
        {
            values["decode_throughput_per_request"] = decode.Average();
            values["decode_throughput"] = decode.Average() * meanConcurrency;
        }

        CheckTokenCounts(completed, notes);
        if (exactOutputLength)
        {
            var short_ = completed.Count(r => r.OutputTokens != r.OutputTokensRequested);
            if (short_ > 0)
                notes.Add($"{short_} of {completed.Count} requests did not get the exact output length asked for (the server ignored ignore_eos/min_tokens?)");
        }
        return new TrialMetrics(values, notes, completed.Count, failed, incomplete);
    }

    private static void Add(Dictionary<string, double> values, string name, List<double> samples)
    {
        if (Distribution.Of(samples) is not { } distribution)
            return;
        foreach (var (stat, value) in distribution.Stats())
            values[$"{name}_{stat}"] = value;
    }

    private static double PeakOutputPerSecond(List<RequestRecord> completed, double start)
    {
        var buckets = new Dictionary<long, double>();
        foreach (var request in completed)
        {
            // Events carry counted tokens; scale to the server's usage when it reported more.
            var scale = request.CountedTokens > 0 ? (double)request.OutputTokens / request.CountedTokens : 1;
            foreach (var e in request.TokenEvents)
            {
                var second = (long)Math.Floor((e.AtMs - start) / 1000.0);
                buckets[second] = buckets.GetValueOrDefault(second) + e.Tokens * scale;
            }
        }
        return buckets.Count == 0 ? 0 : buckets.Values.Max();
    }

    private static (double Mean, double Max) Concurrency(IReadOnlyList<RequestRecord> requests, double start, double end)
    {
        var changes = requests.SelectMany(r => new[] { (At: r.SentMs, Delta: 1), (At: r.EndMs, Delta: -1) })
            .OrderBy(c => c.At).ThenBy(c => c.Delta).ToList();
        double area = 0, last = start;
        int current = 0, max = 0;
        foreach (var (at, delta) in changes)
        {
            area += current * (at - last);
            last = at;
            current += delta;
            max = Math.Max(max, current);
        }
        return (end > start ? area / (end - start) : current, max);
    }

    private static void CheckTokenCounts(List<RequestRecord> completed, List<string> notes)
    {
        var withoutUsage = completed.Count(r => r.UsageCompletionTokens is null);
        if (withoutUsage > 0)
            notes.Add($"{withoutUsage} of {completed.Count} requests had no usage from the server: their output tokens were counted from stream events");
        var checkable = completed.Where(r => r.UsageCompletionTokens is not null && !r.PerEventUsage).ToList();
        var usage = checkable.Sum(r => (double)r.UsageCompletionTokens!.Value);
        var counted = checkable.Sum(r => (double)r.CountedTokens);
        if (usage > 0 && Math.Abs(usage - counted) / usage > TokenMismatchTolerance)
            notes.Add($"the server's usage reports {usage:0} output tokens but the stream carried {counted:0} token events ({(counted - usage) / usage:+0.0%;-0.0%}): events carry several tokens, so ITL uses usage-scaled counts only where the server sends per-chunk usage");
    }
}
