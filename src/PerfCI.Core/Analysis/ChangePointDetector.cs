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

    /// <summary>
    /// A pull request's baseline: the trials of the point at <paramref name="index"/> (its merge base on
    /// the base branch) and of the points around it on the same level, up to a window each side and never
    /// across a change point, so that a step just before or after the merge base does not blur it.
    /// </summary>
    public static IReadOnlyList<double> StableBaseline(IReadOnlyList<SeriesPoint> series, int index, ChangePointOptions options)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, series.Count);
        var changes = Detect(series, options);
        var start = changes.LastOrDefault(c => c.Index <= index)?.Index ?? 0;
        var end = changes.FirstOrDefault(c => c.Index > index)?.Index ?? series.Count;
        if (options.BaselineStart is { } accepted && accepted > 0 && accepted < series.Count)
            (start, end) = index < accepted ? (start, Math.Min(end, accepted)) : (Math.Max(start, accepted), end);
        var from = Math.Max(start, index - options.Window);
        var to = Math.Min(end, index + options.Window + 1);
        return [.. series.Skip(from).Take(to - from).SelectMany(p => p.Samples)];
    }
}
