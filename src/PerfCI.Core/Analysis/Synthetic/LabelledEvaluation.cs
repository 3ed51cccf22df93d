using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PerfCI.Core.Analysis.Synthetic;

/// <summary>A change a detector reported, as the evaluation sees it: where, and which way.</summary>
public readonly record struct Detection(int Index, double Magnitude);

/// <summary>How a detector did against the labels of some series.</summary>
public sealed record DetectionScore(int TruePositives, int FalsePositives, int FalseNegatives, double TotalLocationError, int Series, TimeSpan Elapsed)
{
    public static readonly DetectionScore Empty = new(0, 0, 0, 0, 0, TimeSpan.Zero);

    /// <summary>1 when nothing was reported: no false alert was raised.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>1 when there was nothing to find.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>Mean distance, in points, between a found step and the true one.</summary>
    public double MeanLocationError => TruePositives == 0 ? 0 : TotalLocationError / TruePositives;

    public DetectionScore Add(DetectionScore other) => new(
        TruePositives + other.TruePositives, FalsePositives + other.FalsePositives, FalseNegatives + other.FalseNegatives,
        TotalLocationError + other.TotalLocationError, Series + other.Series, Elapsed + other.Elapsed);
}

/// <summary>One cell of the labelled grid: a kind of noise at one step-to-noise ratio.</summary>
public sealed record EvaluationRow(string Noise, string Ratio, DetectionScore Score);

/// <summary>
/// The labelled data set and its scoring. A found change is a true positive when it lies within
/// <c>tolerance</c> points of a true step and goes the same way; each true step is matched at most once.
/// </summary>
public static class LabelledEvaluation
{
    public static readonly IReadOnlyList<double> NoiseCvs = [0.005, 0.01, 0.02, 0.03, 0.05];
    public static readonly IReadOnlyList<double> StepMagnitudes = [0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.20];

    /// <summary>Step size over noise CV, the figure the precision/recall table is read by.</summary>
    public static readonly IReadOnlyList<(double From, string Label)> RatioBuckets =
        [(0, "< 1x"), (1, "1-2x"), (2, "2-3x"), (3, "3-5x"), (5, "5-10x"), (10, ">= 10x")];

    /// <summary>
    /// Every noise CV x step size, in three kinds of noise: Gaussian; with outliers (2% of trials spiked,
    /// 1% of runs off by 10-30%); bimodal (25% of trials in a second mode 2 CVs above the first, which
    /// leaves each mode a spread of half a CV: two clearly separate modes).
    /// </summary>
    public static IEnumerable<LabelledSeries> DataSet(int seedsPerCell = 3, int points = 400)
    {
        var seed = 1;
        foreach (var (noise, flavour) in Flavours())
        {
            foreach (var cv in NoiseCvs)
            {
                foreach (var step in StepMagnitudes)
                {
                    for (var s = 0; s < seedsPerCell; s++)
                        yield return SyntheticSeries.Generate(flavour(new SyntheticSeriesSpec { Points = points, NoiseCv = cv, StepMagnitude = step }), seed++);
                }
            }
        }
    }

    public static string NoiseKind(SyntheticSeriesSpec spec) =>
        spec.BimodalFraction > 0 ? "bimodal" : spec.TrialOutlierRate > 0 || spec.RunOutlierRate > 0 ? "outliers" : "gaussian";

    public static IEnumerable<(string Name, Func<SyntheticSeriesSpec, SyntheticSeriesSpec> Apply)> Flavours()
    {
        yield return ("gaussian", spec => spec);
        yield return ("outliers", spec => spec with { TrialOutlierRate = 0.02, RunOutlierRate = 0.01 });
        yield return ("bimodal", spec => spec with { BimodalFraction = 0.25, BimodalShift = 2 * spec.NoiseCv });
    }

    public static string RatioBucket(double ratio)
    {
        var label = RatioBuckets[0].Label;
        foreach (var (from, name) in RatioBuckets)
        {
            if (ratio >= from - 1e-9)
                label = name;
        }
        return label;
    }

    public static DetectionScore Score(IReadOnlyList<LabelledStep> truth, IReadOnlyList<Detection> found, int tolerance)
    {
        var used = new bool[found.Count];
        int truePositives = 0;
        double error = 0;
        foreach (var step in truth)
        {
            var best = -1;
            for (var i = 0; i < found.Count; i++)
            {
                if (used[i] || Math.Abs(found[i].Index - step.Index) > tolerance || Math.Sign(found[i].Magnitude) != Math.Sign(step.Magnitude))
                    continue;
                if (best < 0 || Math.Abs(found[i].Index - step.Index) < Math.Abs(found[best].Index - step.Index))
                    best = i;
            }
            if (best < 0)
                continue;
            used[best] = true;
            truePositives++;
            error += Math.Abs(found[best].Index - step.Index);
        }
        return new DetectionScore(truePositives, found.Count - truePositives, truth.Count - truePositives, error, 1, TimeSpan.Zero);
    }

    /// <summary>Runs a detector over the data set and scores it per kind of noise and step-to-noise ratio.</summary>
    public static IReadOnlyList<EvaluationRow> Evaluate(IEnumerable<LabelledSeries> dataSet, Func<IReadOnlyList<SeriesPoint>, IReadOnlyList<Detection>> detector, int tolerance = 2)
    {
        var cells = new Dictionary<(string, string), DetectionScore>();
        foreach (var series in dataSet)
        {
            var started = Stopwatch.GetTimestamp();
            var found = detector(series.Points);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var score = Score(series.Steps, found, tolerance) with { Elapsed = elapsed };
            var key = (NoiseKind(series.Spec), RatioBucket(series.Spec.StepMagnitude / series.Spec.NoiseCv));
            cells[key] = cells.GetValueOrDefault(key, DetectionScore.Empty).Add(score);
        }
        var rows = new List<EvaluationRow>();
        foreach (var (noise, _) in Flavours())
        {
            foreach (var (_, ratio) in RatioBuckets)
            {
                if (cells.TryGetValue((noise, ratio), out var score))
                    rows.Add(new EvaluationRow(noise, ratio, score));
            }
        }
        return rows;
    }

    /// <summary>All rows at or above a step-to-noise ratio, summed: the figure the requirements are stated in.</summary>
    public static DetectionScore Total(IEnumerable<EvaluationRow> rows, double minimumRatio = 0) =>
        rows.Where(r => RatioBuckets.First(b => b.Label == r.Ratio).From >= minimumRatio - 1e-9)
            .Aggregate(DetectionScore.Empty, (sum, row) => sum.Add(row.Score));

    public static string ToMarkdown(IReadOnlyList<EvaluationRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| noise | step / noise CV | steps | found | false alerts | precision | recall | F1 | mean location error |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
            text.AppendLine(Line(row.Noise, row.Ratio, row.Score));
        text.AppendLine(Line("all", ">= 3x", Total(rows, 3)));
        text.AppendLine(Line("all", "all", Total(rows)));
        return text.ToString();
    }

    private static string Line(string noise, string ratio, DetectionScore s) => string.Create(CultureInfo.InvariantCulture,
        $"| {noise} | {ratio} | {s.TruePositives + s.FalseNegatives} | {s.TruePositives} | {s.FalsePositives} | {s.Precision:0.000} | {s.Recall:0.000} | {s.F1:0.000} | {s.MeanLocationError:0.00} |");
}
