using PerfCI.Core.Domain;
using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// The metrics of one scenario as an importer collects them. A name is kept once (the first value
/// wins, e.g. vLLM's <c>median_ttft_ms</c> and <c>p50_ttft_ms</c>); a value that is not finite
/// (a tool's NaN for an empty statistic) is left out rather than failing the import.
/// </summary>
internal sealed class MetricSet
{
    private readonly List<MetricSamples> _metrics = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public IReadOnlyList<MetricSamples> Metrics => _metrics;

    public int Count => _metrics.Count;

    public bool Contains(string name) => _names.Contains(name);

    /// <summary>A metric of <see cref="MetricCatalog"/>, in its unit.</summary>
    public void Add(string name, params IReadOnlyList<double> samples)
    {
        var definition = MetricCatalog.Get(name);
        AddCustom(definition.Name, definition.Unit, definition.Direction, samples);
    }

    public void Add(string name, double? value)
    {
        if (value is { } v)
            Add(name, [v]);
    }

    /// <summary>A metric the catalog does not know, under a tool-prefixed name.</summary>
    public void AddCustom(string name, string unit, MetricDirection direction, params IReadOnlyList<double> samples)
    {
        if (samples.Count == 0 || samples.Any(v => !double.IsFinite(v)) || _names.Contains(name))
            return;
        _names.Add(name);
        _metrics.Add(new MetricSamples(name, unit, direction, [.. samples]));
    }

    /// <summary>
    /// One statistic of a latency distribution (<c>ttft</c>, <c>tpot</c>, <c>itl</c>, <c>e2e</c>, ...)
    /// under the catalog's name, converted to ms. Statistics the catalog has no name for are skipped.
    /// </summary>
    public void AddLatency(string metric, string stat, double value, double toMilliseconds)
    {
        if (Stat(stat) is { } s)
            Add($"{metric}_{s}", [value * toMilliseconds]);
    }

    /// <summary>
    /// The catalog's statistic for a tool's name of one: mean/avg, median/p50, std/std_dev, min, max,
    /// p90, p95, p99 and p99.9 (also written p999 or p99_9). Others (p25, p75, mode) have none.
    /// </summary>
    public static string? Stat(string name) => name.ToLowerInvariant() switch
    {
        "mean" or "avg" or "average" => "mean",
        "median" or "p50" or "p50.0" => "p50",
        "std" or "std_dev" or "stddev" => "std",
        "min" => "min",
        "max" => "max",
        "p90" => "p90",
        "p95" => "p95",
        "p99" => "p99",
        "p99.9" or "p999" or "p99_9" => "p99_9",
        _ => null,
    };
}

/// <summary>Statistics over per-request values, for tools that export raw timestamps.</summary>
internal static class Distribution
{
    /// <summary>Mean, population standard deviation, min, max and percentiles (linear interpolation, as numpy).</summary>
    public static void AddAll(MetricSet metrics, string metric, IReadOnlyList<double> values, double toMilliseconds)
    {
        if (values.Count == 0)
            return;
        var sorted = values.Select(v => v * toMilliseconds).Order().ToArray();
        var mean = sorted.Average();
        var std = Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length);
        metrics.Add($"{metric}_mean", mean);
        metrics.Add($"{metric}_std", std);
        metrics.Add($"{metric}_min", sorted[0]);
        metrics.Add($"{metric}_p50", Percentile(sorted, 50));
        metrics.Add($"{metric}_p90", Percentile(sorted, 90));
        metrics.Add($"{metric}_p95", Percentile(sorted, 95));
        metrics.Add($"{metric}_p99", Percentile(sorted, 99));
        metrics.Add($"{metric}_max", sorted[^1]);
    }

    public static double Percentile(double[] sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
