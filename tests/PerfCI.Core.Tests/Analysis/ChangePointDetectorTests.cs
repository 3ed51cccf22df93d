using PerfCI.Core.Analysis;
using PerfCI.Core.Analysis.Synthetic;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Analysis;

public sealed class ChangePointDetectorTests
{
    private static readonly ChangePointOptions Defaults = new();

    private static List<Detection> Run(IReadOnlyList<SeriesPoint> points) =>
        [.. ChangePointDetector.Detect(points, Defaults).Select(c => new Detection(c.Index, c.Magnitude))];

    /// <summary>A series of 5-trial points: <paramref name="levels"/> per point, with a deterministic 0.5% wobble.</summary>
    private static List<SeriesPoint> Series(params double[] levels)
    {
        var random = new Random(42);
        return [.. levels.Select((level, i) => new SeriesPoint($"c{i}", [.. Enumerable.Range(0, 5).Select(_ => level * (1 + 0.005 * (random.NextDouble() * 2 - 1)))]))];
    }

    private static double[] Levels(params (int Points, double Level)[] segments) =>
        [.. segments.SelectMany(s => Enumerable.Repeat(s.Level, s.Points))];

    [Fact]
    public void Detect_FindsStepsOfThreeNoiseCvsOrMore_WithPrecisionAndRecallOfAtLeast95Percent()
    {
        var rows = LabelledEvaluation.Evaluate(LabelledEvaluation.DataSet(), Run);

        TestContext.Current.TestOutputHelper?.WriteLine(LabelledEvaluation.ToMarkdown(rows));
        var total = LabelledEvaluation.Total(rows, minimumRatio: 3);
        Assert.True(total.TruePositives + total.FalseNegatives >= 700, "the labelled set has enough large steps to judge by");
        Assert.True(total.Precision >= 0.95, $"precision {total.Precision:0.000}");
        Assert.True(total.Recall >= 0.95, $"recall {total.Recall:0.000}");
        foreach (var row in rows.Where(r => LabelledEvaluation.RatioBuckets.First(b => b.Label == r.Ratio).From >= 3))
            Assert.True(row.Score.Precision >= 0.95 && row.Score.Recall >= 0.95, $"{row.Noise} {row.Ratio}: precision {row.Score.Precision:0.000}, recall {row.Score.Recall:0.000}");
    }

    [Theory]
    [InlineData(0.005)]
    [InlineData(0.02)]
    [InlineData(0.05)]
    public void Detect_RaisesNoAlert_On1000PointsOfPureNoiseWithOutliers(double noiseCv)
    {
        var specs = new[]
        {
            new SyntheticSeriesSpec { Points = 1000, NoiseCv = noiseCv, TrialOutlierRate = 0.02, RunOutlierRate = 0.01 },
            new SyntheticSeriesSpec { Points = 1000, NoiseCv = noiseCv, TrialOutlierRate = 0.02, RunOutlierRate = 0.01, BimodalFraction = 0.25, BimodalShift = 2 * noiseCv },
            new SyntheticSeriesSpec { Points = 1000, NoiseCv = noiseCv, Trials = 1, TrialOutlierRate = 0.02 },
        };

        var alerts = (from spec in specs
                      from seed in Enumerable.Range(1, 10)
                      let series = SyntheticSeries.Generate(spec, seed)
                      from change in ChangePointDetector.Detect(series.Points, Defaults)
                      select $"{LabelledEvaluation.NoiseKind(spec)} trials={spec.Trials} seed {seed}: {change.Index} {change.Magnitude:P2}").ToList();

        Assert.Empty(alerts);
    }

    [Fact]
    public void Detect_ReportsTheStep_WithItsMagnitudeInterval_PValue_AndBothSides()
    {
        var series = Series(Levels((40, 100), (40, 110)));

        var change = Assert.Single(ChangePointDetector.Detect(series, Defaults));

        Assert.Equal(40, change.Index);
        Assert.Equal("c40", change.Commit);
        Assert.Equal("c39", change.PreviousCommit);
        Assert.InRange(change.Magnitude, 0.095, 0.105);
        Assert.InRange(0.10, change.MagnitudeLower, change.MagnitudeUpper);
        Assert.True(change.MagnitudeUpper - change.MagnitudeLower < 0.01, "thirty points a side pin a clean step down tightly");
        Assert.True(change.PValue < 1e-6);
        Assert.Equal(ChangeKind.Regression, change.Kind);
        Assert.Equal((10, 40, 30), (change.Before.Start, change.Before.End, change.Before.Points));
        Assert.Equal((40, 70, 30), (change.After.Start, change.After.End, change.After.Points));
        Assert.InRange(change.Before.Median, 99.5, 100.5);
        Assert.InRange(change.After.Median, 109.5, 110.5);
        Assert.InRange(change.Noise, 0.0001, 0.01);
    }

    [Fact]
    public void Detect_IsDirectionAware_LatencyUpAndThroughputDownAreRegressions()
    {
        var up = Series(Levels((40, 100), (40, 110)));
        var down = Series(Levels((40, 100), (40, 90)));
        var throughput = Defaults with { Direction = MetricDirection.HigherIsBetter };

        Assert.Equal(ChangeKind.Regression, Assert.Single(ChangePointDetector.Detect(up, Defaults)).Kind);
        Assert.Equal(ChangeKind.Improvement, Assert.Single(ChangePointDetector.Detect(down, Defaults)).Kind);
        Assert.Equal(ChangeKind.Improvement, Assert.Single(ChangePointDetector.Detect(up, throughput)).Kind);
        Assert.Equal(ChangeKind.Regression, Assert.Single(ChangePointDetector.Detect(down, throughput)).Kind);
    }

    [Fact]
    public void Detect_FindsBothEndsOfAShortExcursion()
    {
        // A regression reverted eight commits later: the window after the first step ends at the second.
        var series = Series(Levels((40, 100), (8, 112), (40, 100)));

        var changes = ChangePointDetector.Detect(series, Defaults);

        Assert.Equal([(40, ChangeKind.Regression), (48, ChangeKind.Improvement)], changes.Select(c => (c.Index, c.Kind)));
        Assert.InRange(changes[0].Magnitude, 0.11, 0.13);
    }

    [Fact]
    public void Detect_IgnoresSingleBadRunsAndSlowTrials()
    {
        var series = Series(Levels((80, 100)));
        series[20] = series[20] with { Samples = [.. series[20].Samples.Select(v => v * 1.4)] };
        series[50] = series[50] with { Samples = [400, 100.2, 100.1, 99.9, 100] };

        Assert.Empty(ChangePointDetector.Detect(series, Defaults));
    }

    [Fact]
    public void Detect_NeedsMinSegmentPointsAtTheNewLevel_BeforeReportingAStep()
    {
        var four = Series(Levels((40, 100), (4, 110)));
        var five = Series(Levels((40, 100), (5, 110)));

        Assert.Empty(ChangePointDetector.Detect(four, Defaults));
        Assert.Equal(40, Assert.Single(ChangePointDetector.Detect(five, Defaults)).Index);
    }

    [Fact]
    public void Detect_LeavesOutStepsUnderTheConfiguredThreshold()
    {
        var series = Series(Levels((40, 100), (40, 103)));

        Assert.Single(ChangePointDetector.Detect(series, Defaults));
        Assert.Empty(ChangePointDetector.Detect(series, Defaults with { Threshold = 0.05 }));
    }

    [Fact]
    public void Detect_LeavesOutStepsInsideTheSeriesOwnNoise()
    {
        // 3% is far outside 0.5% noise but inside 3% noise: the floor follows the series.
        var quiet = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 200, NoiseCv = 0.005, StepMagnitude = 0.03, MinSpacing = 60, MaxSpacing = 80 }, 3);
        var noisy = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 200, NoiseCv = 0.03, StepMagnitude = 0.03, MinSpacing = 60, MaxSpacing = 80 }, 3);

        Assert.Equal(quiet.Steps.Select(s => s.Index), ChangePointDetector.Detect(quiet.Points, Defaults).Select(c => c.Index));
        Assert.Empty(ChangePointDetector.Detect(noisy.Points, Defaults));
    }

    [Fact]
    public void Detect_WithAnAcceptedStep_JudgesTheNewLevelAgainstItself()
    {
        var series = Series(Levels((40, 100), (40, 110), (40, 120)));

        var all = ChangePointDetector.Detect(series, Defaults);
        var accepted = ChangePointDetector.Detect(series, Defaults with { BaselineStart = 40 });

        Assert.Equal([40, 80], all.Select(c => c.Index));
        Assert.Equal([80], accepted.Select(c => c.Index));
        Assert.InRange(accepted[0].Before.Median, 109.5, 110.5); // judged against the accepted level
        Assert.InRange(accepted[0].Magnitude, 0.085, 0.095);
    }

    [Fact]
    public void Detect_GivesTheSameOutput_ForTheSameInput()
    {
        var series = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 2000, NoiseCv = 0.02, StepMagnitude = 0.08, TrialOutlierRate = 0.02, RunOutlierRate = 0.01 }, 11);
        var copy = series.Points.Select(p => new SeriesPoint(p.Commit, [.. p.Samples])).ToList();

        var first = ChangePointDetector.Detect(series.Points, Defaults);
        var second = ChangePointDetector.Detect(copy, Defaults);
        var regenerated = ChangePointDetector.Detect(SyntheticSeries.Generate(series.Spec, series.Seed).Points, Defaults);

        Assert.NotEmpty(first);
        Assert.Equal(first, second);
        Assert.Equal(first, regenerated);
    }

    [Fact]
    public void Append_GivesExactlyWhatDetectGives_AfterEveryPoint()
    {
        var series = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 400, NoiseCv = 0.02, StepMagnitude = 0.06, MinSpacing = 15, MaxSpacing = 60, TrialOutlierRate = 0.02, RunOutlierRate = 0.02 }, 5);
        var analyzer = new SeriesAnalyzer(Defaults with { BaselineStart = 150 });

        for (var count = 1; count <= series.Points.Count; count++)
        {
            analyzer.Append(series.Points[count - 1]);
            Assert.Equal(ChangePointDetector.Detect([.. series.Points.Take(count)], analyzer.Options), analyzer.Changes);
        }
        Assert.NotEmpty(analyzer.Changes);
    }

    [Fact]
    public void Append_NeverTouchesASettledChange_AndOnlyMovesTheTailsChangesALittle()
    {
        var series = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 600, NoiseCv = 0.02, StepMagnitude = 0.05, MinSpacing = 20, MaxSpacing = 70, TrialOutlierRate = 0.02, RunOutlierRate = 0.01, BimodalFraction = 0.2, BimodalShift = 0.02 }, 8);
        var analyzer = new SeriesAnalyzer(Defaults);
        IReadOnlyList<DetectedChange> previous = [];
        var settledBefore = 0;
        var (restated, moved, largestMove) = (0, 0, 0);

        foreach (var point in series.Points)
        {
            var tail = analyzer.Count - Defaults.SettlingPoints;
            analyzer.Append(point);
            var current = analyzer.Changes;

            // Settled changes stay exactly as they were, statistics included.
            foreach (var change in previous.Where(c => c.Index < settledBefore))
                Assert.Contains(change, current);
            // Whatever appears, disappears or is restated lies in the unsettled tail.
            var appeared = current.Where(c => !previous.Any(p => p.Index == c.Index)).ToList();
            var disappeared = previous.Where(p => !current.Any(c => c.Index == p.Index)).ToList();
            Assert.All(appeared.Concat(disappeared), c => Assert.True(c.Index >= tail, $"change at {c.Index} touched with {analyzer.Count} points"));
            restated += current.Count(c => !previous.Contains(c) && previous.Any(p => p.Index == c.Index));
            foreach (var gone in disappeared)
            {
                if (appeared.Where(c => c.Kind == gone.Kind).MinBy(c => Math.Abs(c.Index - gone.Index)) is { } successor
                    && Math.Abs(successor.Index - gone.Index) <= Defaults.Window)
                {
                    moved++;
                    largestMove = Math.Max(largestMove, Math.Abs(successor.Index - gone.Index));
                }
            }
            Assert.True(analyzer.SettledBefore >= settledBefore);
            settledBefore = analyzer.SettledBefore;
            previous = current;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{previous.Count} changes; while appending: {restated} restated (statistics of the tail), {moved} moved, by at most {largestMove} points");
        Assert.Equal(series.Steps.Count, previous.Count);
        Assert.All(series.Steps.Zip(previous), pair => Assert.InRange(pair.Second.Index, pair.First.Index - 2, pair.First.Index + 2));
        Assert.True(restated > 0, "the tail's statistics do change as points arrive: the checks above were exercised");
        Assert.InRange(largestMove, 0, Defaults.Window);
    }

    [Fact]
    public void StableBaseline_TakesTheMergeBasesLevel_UpToAWindowAndNeverAcrossAChange()
    {
        var series = Series(Levels((60, 100), (40, 110)));

        var baseline = ChangePointDetector.StableBaseline(series, 55, Defaults);

        Assert.Equal((60 - 25) * 5, baseline.Count); // points 25..59: a window back, the step ahead
        Assert.All(baseline, v => Assert.InRange(v, 99, 101));
        Assert.All(ChangePointDetector.StableBaseline(series, 70, Defaults), v => Assert.InRange(v, 109, 111));
    }

    [Fact]
    public void Detect_RejectsOptionsAndPointsItCannotUse()
    {
        var series = Series(Levels((20, 100)));

        Assert.Throws<ArgumentOutOfRangeException>(() => ChangePointDetector.Detect(series, Defaults with { Window = 8 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChangePointDetector.Detect(series, Defaults with { PValue = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChangePointDetector.Detect(series, Defaults with { Threshold = -0.1 }));
        Assert.Throws<ArgumentException>(() => ChangePointDetector.Detect([new SeriesPoint("a", [])], Defaults));
        Assert.Throws<ArgumentException>(() => ChangePointDetector.Detect([new SeriesPoint("a", [double.NaN])], Defaults));
        var analyzer = new SeriesAnalyzer(Defaults, series);
        Assert.Throws<ArgumentException>(() => analyzer.AppendRange([series[0], new SeriesPoint("b", [])]));
        Assert.Equal(20, analyzer.Count); // the batch was rejected whole
    }
}
