using PerfCI.Core.Domain;
using PerfCI.Ui.Trends;

namespace PerfCI.Ui.Tests;

public sealed class TrendSelectionTests
{
    private static readonly SeriesKey[] Keys =
    [
        Key(1, "acme/engine", "serving", "chat@c1", "ttft_p50", "h100"),
        Key(2, "acme/engine", "serving", "chat@c1", "ttft_p99", "h100"),
        Key(3, "acme/engine", "serving", "chat@c1", "ttft_p50", "a100"),
        Key(4, "acme/engine", "serving", "chat@c8", "ttft_p50", "h100"),
        Key(5, "acme/engine", "offline", "batch@b8", "batch_latency", "h100"),
        Key(6, "zeta/other", "serving", "chat@c1", "ttft_p50", "h100"),
    ];

    [Fact]
    public void Uri_RoundTrips_TheWholeSelection_WithOverlaysAndSweep()
    {
        var selection = new TrendSelection
        {
            Repository = "acme/engine", Suite = "serving", Scenario = "chat@c1",
            Metrics = ["ttft_p50", "ttft_p99"], HardwareClasses = ["h100", "a100"], SweepCommits = ["abc1234", "def5678"],
        };

        var uri = selection.ToUri();
        var restored = TrendSelection.FromUri("http://localhost:5080" + uri);

        Assert.Equal("/trends?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&metric=ttft_p99&hw=h100&hw=a100&sweep=abc1234&sweep=def5678", uri);
        Assert.Equal((selection.Repository, selection.Suite, selection.Scenario), (restored.Repository, restored.Suite, restored.Scenario));
        Assert.Equal(selection.Metrics, restored.Metrics);
        Assert.Equal(selection.HardwareClasses, restored.HardwareClasses);
        Assert.Equal(selection.SweepCommits, restored.SweepCommits);
    }

    [Fact]
    public void Resolve_FillsWhatTheUrlLeftOut_AndDropsWhatDoesNotExist()
    {
        var bare = TrendSelection.FromUri("/trends").Resolve(Keys);
        var partial = TrendSelection.FromUri("/trends?repo=acme/engine&suite=serving&scenario=chat@c1&metric=ttft_p50&metric=gone&metric=ttft_p99&hw=a100&hw=tpu").Resolve(Keys);
        var wrongSuite = TrendSelection.FromUri("/trends?repo=acme/engine&suite=nope").Resolve(Keys);

        Assert.Equal(("acme/engine", "offline", "batch@b8", "batch_latency", "h100"), (bare.Repository, bare.Suite, bare.Scenario, bare.Metric, bare.HardwareClass));
        Assert.Equal(("serving", "chat@c1"), (partial.Suite, partial.Scenario));
        Assert.Equal(["ttft_p50", "ttft_p99"], partial.Metrics);
        Assert.Equal(["a100"], partial.HardwareClasses);
        Assert.Equal("offline", wrongSuite.Suite);
    }

    [Fact]
    public void SeriesOf_OverlaysEveryExistingMetricAndHardwarePair()
    {
        var selection = TrendSelection.FromUri("/trends?repo=acme/engine&suite=serving&scenario=chat@c1&metric=ttft_p50&metric=ttft_p99&hw=h100&hw=a100").Resolve(Keys);

        Assert.Equal([1L, 3, 2], selection.SeriesOf(Keys).Select(k => k.Id));
    }

    [Theory]
    [InlineData("chat@c8", "chat")]
    [InlineData("long prompts@c128", "long prompts")]
    [InlineData("chat@r2.5", null)]
    [InlineData("batch@b8", null)]
    [InlineData("chat", null)]
    public void SweepScenario_IsTheNameOfAConcurrencyScenario(string scenario, string? sweep) =>
        Assert.Equal(sweep, new TrendSelection { Scenario = scenario }.SweepScenario);

    private static SeriesKey Key(long id, string repository, string suite, string scenario, string metric, string hardware) =>
        new(id, repository, suite, scenario, metric, hardware, "ms", MetricDirection.LowerIsBetter);
}
