using PerfCI.Bench.Client;
using PerfCI.Bench.Load;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests.Client;

[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Category)]
public sealed class OpenLoopTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.25)]
    [InlineData(4.0)]
    public void Schedule_HasTheAskedMeanGap_AndIsReproducible(double burstiness)
    {
        var times = ArrivalSchedule.Times(20_000, ratePerSecond: 50, burstiness, seed: 7);

        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        var mean = gaps.Average();
        var cv = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Count - 1)) / mean;
        Assert.Equal(20, mean, 20 * 0.03);                         // 50 req/s: 20 ms apart on average
        Assert.Equal(1 / Math.Sqrt(burstiness), cv, 0.05 / Math.Sqrt(burstiness) + 0.03); // gamma: CV = 1/sqrt(shape)
        Assert.Equal(times, ArrivalSchedule.Times(20_000, 50, burstiness, seed: 7));
    }

    [Fact]
    public async Task OpenLoop_SendsAtTheAskedRate_AndIsValid()
    {
        var (app, url) = await StreamingClientTests.StartEngineAsync(new EngineModel { DecodeMsPerStep = 5 });
        await using var _ = app;
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30));
        var spec = new ScenarioSpec("open", Endpoint.Completions, "m", new WorkloadSpec(16, 8), LoadSpec.Open(40), Requests: 80, Warmup: 2) { SampleGpu = false };

        var trial = await new LoadGenerator(client).RunTrialAsync(spec, 0, null, Ct);

        Assert.True(trial.Valid, string.Join("; ", trial.Notes));
        Assert.Equal(80, trial.Metrics.Completed);
        Assert.InRange(trial.Metrics.Values["achieved_request_rate"], 40 * 0.8, 40 * 1.25);
        Assert.True(trial.Metrics.Values["schedule_delay_p99"] < LoadGenerator.MaxScheduleDelayP99Ms);
    }

    [Fact]
    public async Task OpenLoop_CappedBelowWhatTheRateNeeds_IsFlaggedInvalid()
    {
        // Each request takes ~100 ms; one slot cannot carry 50 req/s, and the waiting shows as schedule delay.
        var (app, url) = await StreamingClientTests.StartEngineAsync(new EngineModel { DecodeMsPerStep = 10 });
        await using var _ = app;
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30));
        var spec = new ScenarioSpec("capped", Endpoint.Completions, "m", new WorkloadSpec(16, 10), LoadSpec.Open(50, maxConcurrency: 1), Requests: 15) { SampleGpu = false };

        var trial = await new LoadGenerator(client).RunTrialAsync(spec, 0, null, Ct);

        Assert.False(trial.Valid);
        Assert.Contains(trial.Notes, n => n.StartsWith("invalid: the client fell behind its schedule", StringComparison.Ordinal));
        Assert.True(trial.Metrics.Values["schedule_delay_p99"] > 500);
    }
}
