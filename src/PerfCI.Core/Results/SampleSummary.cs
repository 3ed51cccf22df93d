namespace PerfCI.Core.Results;

/// <summary>The summary kept beside a measurement's trial samples.</summary>
public readonly record struct SampleSummary(double Mean, double Median, double StdDev, double Min, double Max)
{
    public static SampleSummary Of(IReadOnlyList<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
            throw new ArgumentException("A summary needs at least one sample.", nameof(samples));
        var sorted = samples.Order().ToArray();
        var mean = sorted.Average();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var std = sorted.Length > 1 ? Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / (sorted.Length - 1)) : 0;
        return new SampleSummary(mean, median, std, sorted[0], sorted[^1]);
    }
}
