using System.Globalization;

namespace PerfCI.Ui.Trends;

/// <summary>Where a sweep's points fall in the SVG: both axes from zero, so curves compare at a glance.</summary>
public sealed record SweepLayout(IReadOnlyList<SweepLayout.Curve> Curves, IReadOnlyList<SweepLayout.Tick> XTicks, IReadOnlyList<SweepLayout.Tick> YTicks)
{
    public sealed record Curve(string Commit, string Polyline, IReadOnlyList<Point> Points);

    public sealed record Point(int Concurrency, double X, double Y, string Title);

    public sealed record Tick(double Position, string Label);

    public static SweepLayout Of(IReadOnlyList<SweepCurve> curves, double width, double height, double left, double right, double top, double bottom)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var all = curves.SelectMany(c => c.Points).ToList();
        var maxX = Nice(all.Count == 0 ? 1 : all.Max(p => p.Throughput));
        var maxY = Nice(all.Count == 0 ? 1 : all.Max(p => p.Latency));
        double X(double v) => left + v / maxX * (width - left - right);
        double Y(double v) => height - bottom - v / maxY * (height - top - bottom);
        var laidOut = curves.Select(c =>
        {
            // Along the sweep: by concurrency, the order the load rises in.
            var points = c.Points.OrderBy(p => p.Concurrency)
                .Select(p => new Point(p.Concurrency, Round(X(p.Throughput)), Round(Y(p.Latency)),
                    string.Create(CultureInfo.InvariantCulture, $"concurrency {p.Concurrency}: {p.Throughput:0.##} {c.ThroughputUnit}, {p.Latency:0.##} {c.LatencyUnit}")))
                .ToList();
            return new Curve(c.Commit, string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X},{p.Y}"))), points);
        }).ToList();
        var xTicks = Enumerable.Range(0, 5).Select(i => new Tick(Round(X(maxX * i / 4)), Label(maxX * i / 4))).ToList();
        var yTicks = Enumerable.Range(0, 5).Select(i => new Tick(Round(Y(maxY * i / 4)), Label(maxY * i / 4))).ToList();
        return new SweepLayout(laidOut, xTicks, yTicks);
    }

    /// <summary>The axis end: the next 1, 2 or 5 times a power of ten at or above the largest value.</summary>
    private static double Nice(double max)
    {
        if (!(max > 0) || !double.IsFinite(max))
            return 1;
        var power = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * power >= max)
                return step * power;
        }
        return 10 * power;
    }

    private static double Round(double v) => Math.Round(v, 1);

    private static string Label(double v) => v.ToString(v >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);
}
