using PerfCI.Bench.Client;
using PerfCI.Bench.Metrics;

namespace PerfCI.Bench.Tests.Client;

/// <summary>The metric definitions of the README, on hand-made request records.</summary>
public sealed class TrialMetricsTests
{
    private static RequestRecord Request(int index, double sent, double end, params (double At, int Tokens)[] events)
    {
        var record = new RequestRecord { Index = index, PromptTokensSent = 100, OutputTokensRequested = events.Sum(e => e.Tokens), SentMs = sent, EndMs = end, Outcome = RequestOutcome.Completed };
        foreach (var (at, tokens) in events)
            record.TokenEvents.Add(new TokenEvent(at, tokens));
        record.UsageCompletionTokens = events.Sum(e => e.Tokens);
        record.PerEventUsage = true;
        return record;
    }

    [Fact]
    public void RequestMetrics_FollowTheDefinitions()
    {
        // Sent at 0; first token at 50; then one event of 1 token at 60 and one of 3 tokens at 90; done at 95.
        var metrics = RequestMetrics.From(Request(0, 0, 95, (50, 1), (60, 1), (90, 3)))!;

        Assert.Equal(50, metrics.TtftMs);
        Assert.Equal(95, metrics.E2eMs);
        Assert.Equal((90 - 50) / 4.0, metrics.TpotMs);        // 5 tokens, 4 after the first
        Assert.Equal([10, 10, 10, 10], metrics.ItlMs);          // the 30 ms gap split over its 3 tokens
        Assert.Equal([10, 30], metrics.IclMs);
        Assert.Equal(95 / 5.0, metrics.NtpotMs);
    }

    [Fact]
    public void Trial_CountsOutcomes_AndThroughputOverTheWholeSpan()
    {
        var ok1 = Request(0, 0, 1000, (100, 1), (200, 1));
        var ok2 = Request(1, 500, 2000, (700, 1), (800, 1));
        var failed = new RequestRecord { Index = 2, SentMs = 100, EndMs = 150, Outcome = RequestOutcome.Failed, FailureReason = "HTTP 500: boom" };

        var trial = TrialMetrics.Compute([ok1, ok2, failed], new Slo(TtftMs: 150), exactOutputLength: false);

        Assert.Equal((2, 1, 0), (trial.Completed, trial.Failed, trial.Incomplete));
        Assert.Equal(1.0, trial.Values["request_throughput"], 9);    // 2 requests over 2 s
        Assert.Equal(2.0, trial.Values["output_throughput"], 9);     // 4 tokens over 2 s
        Assert.Equal(0.5, trial.Values["goodput"], 9);               // only the first met TTFT <= 150
        Assert.Equal(150, trial.Values["ttft_mean"]);
        Assert.Equal(2, trial.Values["concurrency_max"]);                // never three in flight at once
        Assert.Contains("1 x Failed: HTTP 500: boom", trial.Notes);
    }

    [Fact]
    public void Percentiles_InterpolateLinearly()
    {
        var distribution = Distribution.Of([10, 20, 30, 40])!;

        Assert.Equal(25, distribution.P50, 9);
        Assert.Equal(37, distribution.P90, 9);
        Assert.Equal(39.7, distribution.P99, 9);
        Assert.Equal(25, distribution.Mean);
        Assert.Equal(Math.Sqrt(500.0 / 3), distribution.Std, 9);
    }

    [Fact]
    public void Trial_SaysSo_WhenUsageIsMissing_OrDisagreesWithTheEvents()
    {
        var noUsage = Request(0, 0, 100, (10, 1), (20, 1));
        noUsage.UsageCompletionTokens = null;
        var disagreeing = Request(1, 0, 100, (10, 1), (20, 1));
        disagreeing.PerEventUsage = false;
        disagreeing.UsageCompletionTokens = 4;

        var trial = TrialMetrics.Compute([noUsage, disagreeing], new Slo(), exactOutputLength: true);

        Assert.Contains(trial.Notes, n => n.StartsWith("1 of 2 requests had no usage from the server", StringComparison.Ordinal));
        Assert.Contains(trial.Notes, n => n.StartsWith("the server's usage reports 4 output tokens but the stream carried 2 token events", StringComparison.Ordinal));
        Assert.Contains(trial.Notes, n => n.StartsWith("1 of 2 requests did not get the exact output length", StringComparison.Ordinal));
    }
}
