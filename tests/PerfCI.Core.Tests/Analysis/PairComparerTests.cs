using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Analysis;

public sealed class PairComparerTests
{
    private static readonly ComparisonOptions Latency = new() { Threshold = 0.03 };

    /// <summary>Trials around <paramref name="level"/> with the given CV, from a fixed seed.</summary>
    private static double[] Trials(int count, double level, double cv, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => level * (1 + cv * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
    }

    [Fact]
    public void Compare_CallsAClearSlowdownARegression()
    {
        var result = PairComparer.Compare(Trials(30, 100, 0.01, 1), Trials(10, 108, 0.01, 2), Latency);

        Assert.Equal(Verdict.Regression, result.Verdict);
        Assert.InRange(result.Shift, 0.07, 0.09);
        Assert.InRange(0.08, result.ShiftLower, result.ShiftUpper);
        Assert.True(result.PValue < 1e-4);
        Assert.True(result.MinimumDetectableShift < 0.03);
        Assert.Null(result.TrialsNeeded);
        Assert.Equal((30, 10), (result.BaselineCount, result.CandidateCount));
        Assert.InRange(result.CandidateMedian, 106, 110);
    }

    [Fact]
    public void Compare_CallsHigherThroughputAnImprovement_AndLowerARegression()
    {
        var throughput = Latency with { Direction = MetricDirection.HigherIsBetter };

        Assert.Equal(Verdict.Improvement, PairComparer.Compare(Trials(30, 1000, 0.01, 3), Trials(10, 1100, 0.01, 4), throughput).Verdict);
        Assert.Equal(Verdict.Regression, PairComparer.Compare(Trials(30, 1000, 0.01, 3), Trials(10, 900, 0.01, 4), throughput).Verdict);
    }

    [Fact]
    public void Compare_FindsNoChange_WhenThereIsNone_AndSaysWhatItCouldHaveSeen()
    {
        var result = PairComparer.Compare(Trials(30, 100, 0.01, 5), Trials(10, 100, 0.01, 6), Latency);

        Assert.Equal(Verdict.NoChange, result.Verdict);
        Assert.True(result.PValue >= 0.01);
        Assert.InRange(result.MinimumDetectableShift, 0.005, 0.03);
        Assert.InRange(0, result.ShiftLower, result.ShiftUpper);
        Assert.Contains("would have detected", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_IsInconclusive_WhenTooNoisy_AndTheTrialsItNamesDecideIt()
    {
        var baseline = Trials(40, 100, 0.05, 7);

        var result = PairComparer.Compare(baseline, Trials(3, 102, 0.05, 8), Latency);

        Assert.Equal(Verdict.Inconclusive, result.Verdict);
        Assert.True(result.MinimumDetectableShift > 0.03);
        var needed = Assert.IsType<int>(result.TrialsNeeded);
        Assert.InRange(needed, 4, 1000);
        Assert.Contains($"about {needed} candidate trials", result.Reason, StringComparison.Ordinal);
        // With that many trials the same noise no longer hides a 3% change: the verdict is decided.
        var decided = PairComparer.Compare(baseline, Trials(needed, 100, 0.05, 9), Latency);
        Assert.NotEqual(Verdict.Inconclusive, decided.Verdict);
        Assert.True(decided.MinimumDetectableShift <= 0.03 * 1.15, $"{decided.MinimumDetectableShift:P2}");
    }

    [Fact]
    public void Compare_IsInconclusive_WithTooFewTrialsForAnyPValue()
    {
        var result = PairComparer.Compare([100, 101], [150], Latency);

        Assert.Equal(Verdict.Inconclusive, result.Verdict);
        Assert.Contains("can never reach p < 0.01", result.Reason, StringComparison.Ordinal);
        Assert.NotNull(result.TrialsNeeded);
    }

    [Fact]
    public void Compare_CallsASignificantShiftUnderTheThreshold_NoChange()
    {
        var result = PairComparer.Compare(Trials(60, 100, 0.002, 10), Trials(30, 101, 0.002, 11), Latency);

        Assert.True(result.PValue < 1e-6);
        Assert.InRange(result.Shift, 0.008, 0.012);
        Assert.Equal(Verdict.NoChange, result.Verdict);
        Assert.Contains("under the 3% threshold", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_IsNotSwayedByOneWildTrial()
    {
        var candidate = Trials(10, 100, 0.01, 13);
        candidate[3] = 400;

        Assert.Equal(Verdict.NoChange, PairComparer.Compare(Trials(30, 100, 0.01, 12), candidate, Latency).Verdict);
    }

    [Fact]
    public void Compare_UsesTheDefaultThreshold_WhenNoneIsConfigured()
    {
        var baseline = Trials(60, 100, 0.002, 14);
        var candidate = Trials(30, 102.5, 0.002, 15);

        Assert.Equal(Verdict.Regression, PairComparer.Compare(baseline, candidate, new ComparisonOptions()).Verdict);
        Assert.Equal(Verdict.NoChange, PairComparer.Compare(baseline, candidate, new ComparisonOptions { DefaultThreshold = 0.05 }).Verdict);
    }

    [Fact]
    public void Compare_RejectsEmptyOrNonFiniteTrials()
    {
        Assert.Throws<ArgumentException>(() => PairComparer.Compare([], [1.0], Latency));
        Assert.Throws<ArgumentException>(() => PairComparer.Compare([1.0], [double.PositiveInfinity], Latency));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairComparer.Compare([1.0], [1.0], Latency with { Alpha = 1 }));
    }
}
