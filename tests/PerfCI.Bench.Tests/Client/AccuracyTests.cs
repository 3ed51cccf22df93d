using PerfCI.Bench.Client;
using PerfCI.Bench.Load;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests.Client;

/// <summary>Measured against scripted truth: the simulated engine's latency model.</summary>
[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Category)]
public sealed class AccuracyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClosedLoop_AtConcurrencyOne_MeasuresTheScriptedLatencies()
    {
        // Prefill 20 + 0.04 x 2000 = 100 ms, plus one 20 ms decode step: TTFT 120 ms, TPOT 20 ms.
        var model = new EngineModel { PrefillOverheadMs = 20, PrefillMsPerToken = 0.04, DecodeMsPerStep = 20 };
        var (app, url) = await StreamingClientTests.StartEngineAsync(model);
        await using var _ = app;
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30));
        var spec = new ScenarioSpec("accuracy", Endpoint.Completions, "m", new WorkloadSpec(2000, 16), LoadSpec.Closed(1), Requests: 8, Warmup: 2);

        var trial = await new LoadGenerator(client).RunTrialAsync(spec, 0, null, Ct);

        var values = trial.Metrics.Values;
        Assert.True(trial.Valid);
        Assert.Equal(8, trial.Metrics.Completed);
        Assert.InRange(values["ttft_p50"], 120 * 0.98, 120 * 1.02);
        Assert.InRange(values["tpot_p50"], 20 - 0.5, 20 + 0.5);
        Assert.InRange(values["itl_p50"], 20 - 0.5, 20 + 0.5);
        Assert.InRange(values["e2e_p50"], (120 + 15 * 20) * 0.98, (120 + 15 * 20) * 1.02);
        Assert.Equal(2000.0 / 0.120, values["prefill_throughput_per_request"], 2000.0 / 0.120 * 0.03);
    }
}
