using System.Diagnostics;
using System.Globalization;
using Perfolizer.Mathematics.Cpd;
using Perfolizer.Mathematics.SignificanceTesting;
using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Metrology;
using Pragmastat;
using PerfCI.Core.Analysis;
using PerfCI.Core.Analysis.Synthetic;

namespace PerfCI.Benchmarks;

/// <summary>
/// The candidates for the change-point search, scored on the labelled data set (precision, recall, F1,
/// location error, time) and on pure noise (false alerts). The one PerfCI keeps is in Core
/// (<see cref="ChangePointDetector"/>); the others live here, because they lost (docs/analysis.md).
/// </summary>
public static class DetectorComparison
{
    private static readonly ChangePointOptions Options = new();

    public static int Run(int seedsPerCell)
    {
        var data = LabelledEvaluation.DataSet(seedsPerCell).ToList();
        var noise = PureNoise().ToList();
        var candidates = new (string Name, Func<IReadOnlyList<SeriesPoint>, IReadOnlyList<Detection>> Detect)[]
        {
            ("PerfCI: windowed scan (Mann-Whitney z + energy), verdicts by Mann-Whitney + Hodges-Lehmann vs noise floor", points => [.. ChangePointDetector.Detect(points, Options).Select(c => new Detection(c.Index, c.Magnitude))]),
            ("Perfolizer EdPelt (point medians) + the same verdicts", points => Confirm(points, EdPeltChangePointDetector.Instance)),
            ("Perfolizer RqqPelt (point medians) + the same verdicts", points => Confirm(points, RqqPeltChangePointDetector.Instance)),
            ("Perfolizer EdPelt alone (point medians)", points => Pelt(points, EdPeltChangePointDetector.Instance)),
            ("Otava-style: windowed E-divisive + t-test, merge (point means, window 50, p 0.001)", Otava),
        };

        Console.WriteLine($"labelled set: {data.Count} series, {data.Sum(s => s.Steps.Count)} steps, {data.Sum(s => s.Points.Count)} points; pure noise: {noise.Count} series of 1000 points");
        Console.WriteLine();
        Console.WriteLine("| detector | precision (>= 3x) | recall (>= 3x) | F1 (>= 3x) | precision (all) | recall (all) | F1 (all) | mean location error | false alerts in pure noise | ms per 1,000 points |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        IReadOnlyList<EvaluationRow>? kept = null;
        foreach (var (name, detect) in candidates)
        {
            var rows = LabelledEvaluation.Evaluate(data, detect);
            kept ??= rows;
            var large = LabelledEvaluation.Total(rows, 3);
            var all = LabelledEvaluation.Total(rows);
            var falseAlerts = noise.Sum(s => detect(s.Points).Count);
            var perThousand = all.Elapsed.TotalMilliseconds / (data.Sum(s => s.Points.Count) / 1000.0);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {large.Precision:0.000} | {large.Recall:0.000} | {large.F1:0.000} | {all.Precision:0.000} | {all.Recall:0.000} | {all.F1:0.000} | {all.MeanLocationError:0.00} | {falseAlerts} | {perThousand:0.00} |"));
        }
        Console.WriteLine();
        Console.WriteLine("Precision and recall of the detector PerfCI keeps, per kind of noise and step size (a found change counts within 2 points of a true step, same direction):");
        Console.WriteLine();
        Console.WriteLine(LabelledEvaluation.ToMarkdown(kept!));
        return 0;
    }

    /// <summary>Pure noise with outliers: Gaussian, bimodal and one-trial points, three noise levels.</summary>
    private static IEnumerable<LabelledSeries> PureNoise()
    {
        foreach (var cv in new[] { 0.005, 0.02, 0.05 })
        {
            for (var seed = 1; seed <= 10; seed++)
            {
                yield return SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 1000, NoiseCv = cv, TrialOutlierRate = 0.02, RunOutlierRate = 0.01 }, 100 + seed);
                yield return SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 1000, NoiseCv = cv, TrialOutlierRate = 0.02, RunOutlierRate = 0.01, BimodalFraction = 0.25, BimodalShift = 2 * cv }, 200 + seed);
                yield return SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = 1000, NoiseCv = cv, Trials = 1, TrialOutlierRate = 0.02 }, 300 + seed);
            }
        }
    }

    private static double[] Medians(IReadOnlyList<SeriesPoint> points) =>
        [.. points.Select(p => RobustStatistics.Median(p.Samples.ToArray()))];

    private static List<Detection> Pelt(IReadOnlyList<SeriesPoint> points, PeltChangePointDetector detector)
    {
        var levels = Medians(points);
        return [.. Indexes(detector, levels).Select(i => new Detection(i, Shift(levels, i)))];
    }

    /// <summary>Perfolizer's PELT reports the last index of the old segment; PerfCI the first of the new.</summary>
    private static int[] Indexes(PeltChangePointDetector detector, double[] levels) =>
        [.. detector.GetChangePointIndexes(levels, Options.MinSegment).Select(i => i + 1)];

    /// <summary>The direction of a PELT change: the level after against the level before, a window each side.</summary>
    private static double Shift(double[] levels, int index)
    {
        var before = levels[Math.Max(0, index - Options.Window)..index];
        var after = levels[index..Math.Min(levels.Length, index + Options.Window)];
        return before.Length == 0 || after.Length == 0 ? 0 : after.Average() - before.Average();
    }

    /// <summary>PELT proposes, PerfCI's verdict disposes: the same windows and tests as the kept detector.</summary>
    private static List<Detection> Confirm(IReadOnlyList<SeriesPoint> points, PeltChangePointDetector detector)
    {
        var levels = Medians(points).ToList();
        var commits = points.Select(p => p.Commit).ToList();
        var candidates = Indexes(detector, [.. levels]);
        var found = new List<Detection>();
        var last = 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            var index = candidates[k];
            var to = Math.Min(levels.Count, index + Options.Window);
            if (k + 1 < candidates.Length)
                to = Math.Min(to, candidates[k + 1]);
            if (SeriesAnalyzer.Verdict(levels, commits, index, Math.Max(last, index - Options.Window), to, Options) is { } change)
            {
                found.Add(new Detection(change.Index, change.Magnitude));
                last = change.Index;
            }
        }
        return found;
    }

    /// <summary>
    /// As Apache Otava (formerly Hunter) does it: E-divisive in overlapping windows of 50 points with a
    /// t-test at 10x the level, then a merge that drops the weakest change point (p-value, then
    /// magnitude) and recomputes its neighbours over the whole segments between change points, until all
    /// pass. It sees one value a point, the mean of the trials, as Otava's inputs are.
    /// </summary>
    private static List<Detection> Otava(IReadOnlyList<SeriesPoint> points)
    {
        const int window = 50;
        const double maxP = 0.001;
        var x = points.Select(p => p.Samples.Average()).ToArray();
        var found = new SortedSet<int>();
        for (var start = 0; start < x.Length;)
        {
            var end = Math.Min(start + window, x.Length);
            var inWindow = EDivisive(x, start, end, maxP * 10);
            found.UnionWith(inWindow);
            if (end == x.Length)
                break;
            start = Math.Max(inWindow.Count > 0 ? inWindow.Max() : 0, start + window / 2);
        }

        var changes = found.ToList();
        while (changes.Count > 0)
        {
            var weakest = -1;
            var weakestP = 0.0;
            for (var k = 0; k < changes.Count; k++)
            {
                var from = k > 0 ? changes[k - 1] : 0;
                var to = k + 1 < changes.Count ? changes[k + 1] : x.Length;
                var p = TTest(x, from, changes[k], to);
                if (p > weakestP)
                    (weakest, weakestP) = (k, p);
            }
            if (weakestP <= maxP)
                break;
            changes.RemoveAt(weakest);
        }
        return [.. changes.Select(i => new Detection(i, x[i..Math.Min(x.Length, i + 10)].Average() - x[Math.Max(0, i - 10)..i].Average()))];
    }

    /// <summary>Hierarchical E-divisive on [start, end): split where the energy statistic peaks while the split is significant.</summary>
    private static List<int> EDivisive(double[] x, int start, int end, double maxP)
    {
        const int minSize = 3;
        var segments = new List<(int From, int To)> { (start, end) };
        var found = new List<int>();
        while (true)
        {
            (int Segment, int Split, double Q) best = (-1, -1, double.NegativeInfinity);
            for (var s = 0; s < segments.Count; s++)
            {
                var (from, to) = segments[s];
                for (var tau = from + minSize; tau <= to - minSize; tau++)
                {
                    var q = Energy(x, from, tau, to);
                    if (q > best.Q)
                        best = (s, tau, q);
                }
            }
            if (best.Segment < 0)
                return found;
            var (a, b) = segments[best.Segment];
            if (TTest(x, a, best.Split, b) >= maxP)
                return found;
            found.Add(best.Split);
            segments[best.Segment] = (a, best.Split);
            segments.Add((best.Split, b));
        }
    }

    private static double Energy(double[] x, int from, int tau, int to)
    {
        int n = tau - from, m = to - tau;
        double between = 0, left = 0, right = 0;
        for (var i = from; i < tau; i++)
        {
            for (var j = tau; j < to; j++)
                between += Math.Abs(x[i] - x[j]);
            for (var k = i + 1; k < tau; k++)
                left += Math.Abs(x[i] - x[k]);
        }
        for (var j = tau; j < to; j++)
        {
            for (var l = j + 1; l < to; l++)
                right += Math.Abs(x[j] - x[l]);
        }
        return (double)n * m / (n + m) * (2 * between / (n * m) - left / (n * (n - 1) / 2.0) - right / (m * (m - 1) / 2.0));
    }

    /// <summary>Two-sided Welch t-test (Perfolizer) of [split, to) against [from, split).</summary>
    private static double TTest(double[] x, int from, int split, int to)
    {
        if (split - from < 2 || to - split < 2)
            return 1;
        var result = WelchTest.Instance.Perform(new Sample(x[split..to]), new Sample(x[from..split]), AlternativeHypothesis.TwoSides, Threshold.Zero);
        return double.IsNaN(result.PValue.Value) ? 1 : result.PValue.Value;
    }
}
