using PerfCI.Core.Domain;

namespace PerfCI.Ui.Trends;

/// <summary>
/// What the chart script draws, in columns (one entry per commit) so that 10,000 points travel as a
/// few JSON arrays rather than 10,000 objects (the server's <c>/api/trends/chart</c>). The x axis is the commits' index in
/// first-parent order over all overlaid series; a series without a point at a commit has null there.
/// </summary>
public sealed record TrendChartModel(
    IReadOnlyList<int> Positions,
    IReadOnlyList<string> Shas,
    IReadOnlyList<string> Messages,
    IReadOnlyList<string> Authors,
    /// <summary>Commit time as Unix seconds (the secondary axis label and the tooltip's date).</summary>
    IReadOnlyList<long> Dates,
    IReadOnlyList<long> RunIds,
    IReadOnlyList<TrendChartLine> Lines,
    IReadOnlyList<TrendChartMarker> Markers);

public sealed record TrendChartLine(
    string Label, string Unit, bool LowerIsBetter, IReadOnlyList<double?> Values, IReadOnlyList<double?> Low, IReadOnlyList<double?> High, IReadOnlyList<int?> Trials);

/// <param name="Index">The commit's index on the x axis.</param>
/// <param name="Line">Which line the marker belongs to.</param>
/// <param name="Type"><c>change</c> or <c>alert</c>.</param>
/// <param name="Kind">regression, improvement, ... (snake_case, as the API writes states).</param>
public sealed record TrendChartMarker(int Index, int Line, string Type, string Kind, string Label);

public static class TrendChartModels
{
    /// <summary>Aligns the overlaid series on one commit axis and places their change points and alerts.</summary>
    public static TrendChartModel Build(IReadOnlyList<TrendSeries> series, bool labelByHardware = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        // Commits by position; a commit is the same commit in every series of a repository.
        var commits = new Dictionary<int, TrendPoint>();
        foreach (var s in series)
            foreach (var point in s.Points)
                commits.TryAdd(point.Position, point);
        var positions = commits.Keys.ToArray();
        Array.Sort(positions);
        var points = new TrendPoint[positions.Length];
        var indexOfPosition = new Dictionary<int, int>(positions.Length);
        var indexOfCommit = new Dictionary<long, int>(positions.Length);
        for (var i = 0; i < positions.Length; i++)
        {
            points[i] = commits[positions[i]];
            indexOfPosition[positions[i]] = i;
            indexOfCommit[points[i].CommitId] = i;
        }

        var lines = new List<TrendChartLine>(series.Count);
        var markers = new List<TrendChartMarker>();
        for (var line = 0; line < series.Count; line++)
        {
            var s = series[line];
            var values = new double?[positions.Length];
            var low = new double?[positions.Length];
            var high = new double?[positions.Length];
            var trials = new int?[positions.Length];
            foreach (var point in s.Points)
            {
                var i = indexOfPosition[point.Position];
                (values[i], low[i], high[i], trials[i]) = (point.Median, point.Low, point.High, point.Trials);
            }
            lines.Add(new TrendChartLine(Label(s.Key, series, labelByHardware), s.Key.Unit, s.Key.Direction == MetricDirection.LowerIsBetter, values, low, high, trials));

            foreach (var change in s.ChangePoints)
            {
                if (indexOfCommit.TryGetValue(change.CommitId, out var i))
                    markers.Add(new TrendChartMarker(i, line, "change", Snake(change.Kind.ToString()),
                        FormattableString.Invariant($"{(change.Accepted ? "accepted " : "")}{Snake(change.Kind.ToString())} {change.Magnitude:+0.#%;-0.#%} ({change.MagnitudeLower:+0.#%;-0.#%} to {change.MagnitudeUpper:+0.#%;-0.#%})")));
            }
            foreach (var alert in s.Alerts)
            {
                if (indexOfCommit.TryGetValue(alert.CommitId, out var i))
                    markers.Add(new TrendChartMarker(i, line, "alert", Snake(alert.Kind.ToString()),
                        FormattableString.Invariant($"alert {alert.Id} ({Snake(alert.State.ToString())}) {alert.Magnitude:+0.#%;-0.#%}")));
            }
        }

        return new TrendChartModel(
            positions,
            [.. points.Select(p => p.Sha)],
            [.. points.Select(p => p.Message)],
            [.. points.Select(p => p.Author)],
            [.. points.Select(p => p.CommittedAt.ToUnixTimeSeconds())],
            [.. points.Select(p => p.RunId)],
            lines,
            markers);
    }

    /// <summary>Overlaid lines are told apart by what differs between them.</summary>
    private static string Label(SeriesKey key, IReadOnlyList<TrendSeries> all, bool byHardware)
    {
        var metrics = all.Select(s => s.Key.Metric).Distinct(StringComparer.Ordinal).Count();
        var hardware = all.Select(s => s.Key.HardwareClass).Distinct(StringComparer.Ordinal).Count();
        return (metrics > 1, hardware > 1 || byHardware) switch
        {
            (true, true) => $"{key.Metric} on {key.HardwareClass}",
            (false, true) => key.HardwareClass,
            _ => key.Metric,
        };
    }

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>What the chart script drew: its commits, change points and alerts; <see cref="Error"/> when it could not read them.</summary>
public sealed record TrendChartDrawn(int Points, int ChangePoints, int Alerts, string? Error = null);
