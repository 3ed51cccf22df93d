namespace PerfCI.Core.Analysis;

/// <summary>
/// Change points of a series in first-parent commit order. See <see cref="SeriesAnalyzer"/> for the
/// method; use it directly to keep a series' analysis current point by point.
/// </summary>
public static class ChangePointDetector
{
    /// <summary>The same input always gives the same output: nothing here is random or order-dependent.</summary>
    public static IReadOnlyList<DetectedChange> Detect(IReadOnlyList<SeriesPoint> series, ChangePointOptions options)
    {
        ArgumentNullException.ThrowIfNull(series);
        return new SeriesAnalyzer(options, series).Changes;
    }
}
