using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Bisect;

public sealed class BisectBasicsTests
{
    private static readonly BisectSettings Latency = new() { Direction = MetricDirection.LowerIsBetter };

    [Fact]
    public void Search_MeasuresBothEndsFirst()
    {
        var synthetic = new SyntheticBisect(16, 9, 0.08, 0.01, seed: 1);
        var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency);

        var next = Assert.IsType<MeasureCommits>(search.Next());

        Assert.Equal([new MeasureRequest("c0000", 5), new MeasureRequest("c0015", 5)], next.Requests);
    }

    [Fact]
    public void Search_NamesTheCulprit_OfAClearStep()
    {
        var synthetic = new SyntheticBisect(16, 9, 0.08, 0.01, seed: 2);
        var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency);

        var outcome = synthetic.Run(search);

        Assert.Equal(BisectOutcomeKind.Culprit, outcome.Kind);
        Assert.Equal("c0009", outcome.Culprit);
        Assert.Equal("c0008", outcome.LastGood);
        Assert.Equal(["c0009"], outcome.RemainingRange);
        Assert.InRange(0.08, outcome.RelativeChangeLower!.Value, outcome.RelativeChangeUpper!.Value);
        Assert.Equal(BisectDecision.SameAsBad, search.Steps.Single(s => s.Sha == "c0009").Decision);
        Assert.Equal(BisectDecision.SameAsGood, search.Steps.Single(s => s.Sha == "c0008").Decision);
    }

    [Fact]
    public void Search_StopsWithNoDifference_WhenTheEndsAreTheSame()
    {
        var synthetic = new SyntheticBisect(16, 16, 0, 0.02, seed: 3);
        var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency);

        var outcome = synthetic.Run(search);

        Assert.Equal(BisectOutcomeKind.NoDifference, outcome.Kind);
        Assert.Null(outcome.Culprit);
        Assert.Equal(2, outcome.MeasuredCommits);
        Assert.All(search.Steps, step => Assert.Equal(40, step.Samples.Count));
    }

    [Fact]
    public async Task Driver_RunsTheSearch_AndReportsEveryStep()
    {
        var synthetic = new SyntheticBisect(32, 20, -0.06, 0.01, seed: 4);
        var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency with { Direction = MetricDirection.HigherIsBetter });
        var reported = new List<BisectStepResult>();

        var outcome = await BisectDriver.RunAsync(search, (request, _) => Task.FromResult(synthetic.Measure(request)),
            new SynchronousProgress(reported.Add), TestContext.Current.CancellationToken);

        Assert.Equal("c0020", outcome.Culprit);
        Assert.Equal(search.Steps.Select(s => s.Sha).ToHashSet(), reported.Select(s => s.Sha).ToHashSet());
    }

    private sealed class SynchronousProgress(Action<BisectStepResult> report) : IProgress<BisectStepResult>
    {
        public void Report(BisectStepResult value) => report(value);
    }
}
