using PerfCI.Bench.Client;

namespace PerfCI.Bench.Metrics;

/// <summary>
/// The latencies of one completed request, as defined in the README's table. TTFT counts from
/// sending to the first event that carries a generated token (a role-only or empty first chunk
/// does not count). ITL is per token: an event that carries k tokens contributes its gap k times,
/// divided by k. Inter-chunk latency (ICL) is the gap between token-carrying events.
/// </summary>
public sealed record RequestMetrics(double TtftMs, double E2eMs, double? TpotMs, double NtpotMs, IReadOnlyList<double> ItlMs, IReadOnlyList<double> IclMs)
{
    public static RequestMetrics? From(RequestRecord record)
    {
        if (record.Outcome != RequestOutcome.Completed || record.TokenEvents.Count == 0)
            return null;
        var events = record.TokenEvents;
        var ttft = events[0].AtMs - record.SentMs;
        var e2e = record.EndMs - record.SentMs;
        var output = Math.Max(record.OutputTokens, 1);
        double? tpot = output > 1 ? (events[^1].AtMs - events[0].AtMs) / (output - 1) : null;

        var itl = new List<double>(output);
        var icl = new List<double>(events.Count);
        // Tokens of the first event after the first token: they arrived with TTFT, no gap to split.
        for (var i = 1; i < events.Count; i++)
        {
            var gap = events[i].AtMs - events[i - 1].AtMs;
            icl.Add(gap);
            var share = gap / events[i].Tokens;
            for (var t = 0; t < events[i].Tokens; t++)
                itl.Add(share);
        }
        return new RequestMetrics(ttft, e2e, tpot, e2e / output, itl, icl);
    }
}
