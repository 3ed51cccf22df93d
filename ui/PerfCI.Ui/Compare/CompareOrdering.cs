using PerfCI.Core.Analysis;

namespace PerfCI.Ui.Compare;

/// <summary>The compare table's first order: what needs a look first.</summary>
public static class CompareOrdering
{
    /// <summary>Regressions, then inconclusive results, improvements, and no change; larger changes first within each.</summary>
    public static IReadOnlyList<MetricChange> RegressionsFirst(IEnumerable<MetricChange> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return [.. metrics
            .OrderBy(m => Rank(m.Verdict))
            .ThenByDescending(m => Math.Abs(m.Shift))
            .ThenBy(m => m.Suite, StringComparer.Ordinal).ThenBy(m => m.Scenario, StringComparer.Ordinal)
            .ThenBy(m => m.Metric, StringComparer.Ordinal).ThenBy(m => m.HardwareClass, StringComparer.Ordinal)];
    }

    /// <summary>The verdict as a sort key, so that sorting the table by verdict keeps this order.</summary>
    public static int Rank(Verdict verdict) => verdict switch
    {
        Verdict.Regression => 0,
        Verdict.Inconclusive => 1,
        Verdict.Improvement => 2,
        _ => 3,
    };
}
