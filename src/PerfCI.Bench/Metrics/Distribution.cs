using Perfolizer.Mathematics.QuantileEstimators;
using Pragmastat;

namespace PerfCI.Bench.Metrics;

/// <summary>The summary PerfCI reports for a latency: mean, std, min, percentiles with linear interpolation (Hyndman-Fan type 7), max.</summary>
public sealed record Distribution(double Mean, double Std, double Min, double P50, double P90, double P95, double P99, double P999, double Max, int Count)
{
    public static readonly string[] StatNames = ["mean", "std", "min", "p50", "p90", "p95", "p99", "p99_9", "max"];

    public static Distribution? Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return null;
        var sample = new Sample([.. values]);
        double Q(double p) => SimpleQuantileEstimator.Instance.Quantile(sample, p).NominalValue;
        var mean = values.Average();
        // Sample standard deviation (n - 1), 0 for a single value.
        var std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Distribution(mean, std, values.Min(), Q(0.5), Q(0.9), Q(0.95), Q(0.99), Q(0.999), values.Max(), values.Count);
    }

    public IEnumerable<(string Stat, double Value)> Stats()
    {
        yield return ("mean", Mean);
        yield return ("std", Std);
        yield return ("min", Min);
        yield return ("p50", P50);
        yield return ("p90", P90);
        yield return ("p95", P95);
        yield return ("p99", P99);
        yield return ("p99_9", P999);
        yield return ("max", Max);
    }
}
